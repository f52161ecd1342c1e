"""Writing rendered frames to an mp4 as they come, so an episode never sits in memory."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import numpy as np

from trl_sac.files import partial_path


class Mp4Writer:
    """H.264 mp4 at `fps`; the file appears under its name only once it is complete."""

    def __init__(self, path: Path, *, fps: float) -> None:
        self.path = path
        self.fps = fps
        self.frames = 0
        self._partial = partial_path(path)
        self._encoder = None

    def __enter__(self) -> Mp4Writer:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self

    def add(self, frame: np.ndarray) -> None:
        """Append one (height, width, 3) uint8 RGB frame."""
        if self._encoder is None:
            # TorchRL's own mp4 writer (CSVLogger, VideoRecorder) needs torchcodec and the
            # system's FFmpeg libraries; imageio-ffmpeg ships its own ffmpeg binary.
            import imageio_ffmpeg

            height, width = frame.shape[:2]
            self._encoder = imageio_ffmpeg.write_frames(
                str(self._partial),
                (width, height),
                fps=self.fps,
                codec="libx264",
                macro_block_size=2,  # libx264 with yuv420p needs even sizes
                ffmpeg_log_level="error",
            )
            self._encoder.send(None)
        self._encoder.send(np.ascontiguousarray(frame, dtype=np.uint8))
        self.frames += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._encoder is not None:
            self._encoder.close()
        if kind is None and self.frames:
            self._partial.replace(self.path)
        else:
            self._partial.unlink(missing_ok=True)
