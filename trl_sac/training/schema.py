"""The configuration's schema: every key's type and valid range, checked in one place.

The YAML files under trl_sac/conf give the values; this module says what values may be.
A composed config is resolved and merged onto the schema before anything runs, so a value
of the wrong type is refused with one line naming its key, and then every range and
cross-field rule below is checked. docs/configuration.md is generated from it
(`python -m trl_sac.training.schema`).
"""

import math
import sys
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, get_args, get_origin

from omegaconf import MISSING, DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException

from trl_sac.errors import ConfigError, first_line
from trl_sac.rollout.envs import check_env_id
from trl_sac.rollout.replay_buffer import STORAGES
from trl_sac.runs.parallel import AUTO
from trl_sac.tasks.episode_limit import episode_limit
from trl_sac.training.settings import LOGGER_BACKENDS

SEED_LIMIT = 2**32


def setting(
    default: Any = MISSING,
    doc: str = "",
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] | None = None,
    each_low: int | None = None,
    length: int | None = None,
    text: str = "",
) -> Any:
    """A schema field with its valid range: [low, high], ( or ) where open."""
    rule = {
        "doc": doc,
        "low": low,
        "high": high,
        "low_open": low_open,
        "high_open": high_open,
        "choices": choices,
        "each_low": each_low,
        "length": length,
        "text": text,
    }
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=rule)
    return field(default=default, metadata=rule)


POSITIVE = {"low": 0, "low_open": True}
AT_LEAST_ONE = {"low": 1}
NOT_NEGATIVE = {"low": 0}


@dataclass
class EnvSchema:
    id: str = setting(doc="gymnasium id of a continuous-action MuJoCo task")
    max_episode_steps: int | None = setting(
        None,
        "episode length cap (truncation); default: the paper's 1000 for its tasks, "
        "else the limit the task registers",
        **AT_LEAST_ONE,
    )
    paper_reward_scale: float = setting(5.0, "v1 reward scale of the task", **POSITIVE)
    hard_update_utd_ratio: int = setting(
        4, "gradient steps per env step under hard updates", **AT_LEAST_ONE
    )
    paper_total_frames: int = setting(1_000_000, "the paper's budget", **AT_LEAST_ONE)
    reward_scale: float | None = setting(
        None, "scale of training rewards; null: the loss's default", **POSITIVE
    )


@dataclass
class LossSchema:
    name: str = setting(doc="vnet (v1) or twinq (v2)", choices=("vnet", "twinq"))
    value_network: bool = setting(doc="v1's state-value network")
    gamma: float = setting(0.99, "discount", low=0, high=1, low_open=True)
    loss_function: str = setting("l2", "critic loss", choices=("l2", "l1", "smooth_l1"))
    alpha_init: float = setting(1.0, "initial temperature", **POSITIVE)
    fixed_alpha: bool = setting(doc="keep the temperature fixed (v1)")
    # "auto" (-dim(A)) or a number: OmegaConf has no union of str and float.
    target_entropy: Any = setting("auto", "auto (= -dim(A)) or a number")
    default_reward_scale: float = setting(doc="reward scale when env's is null", **POSITIVE)


@dataclass
class TargetUpdateSchema:
    name: str = setting(doc="soft (Polyak) or hard (copy)", choices=("soft", "hard"))
    utd_ratio: float = setting(doc="gradient steps per env step", **POSITIVE)
    tau: float | None = setting(None, "soft: Polyak weight", low=0, high=1, low_open=True)
    interval: int | None = setting(None, "hard: gradient steps between copies", **AT_LEAST_ONE)


@dataclass
class CollectorSchema:
    total_frames: int = setting(doc="env steps in the whole run", **AT_LEAST_ONE)
    init_random_frames: int = setting(5000, "uniform-random steps first", **NOT_NEGATIVE)
    frames_per_batch: int = setting(1, "env steps between update rounds", **AT_LEAST_ONE)
    direct: bool = setting(True, "step the env directly (false: TorchRL's Collector)")


@dataclass
class OptimSchema:
    lr: float = setting(3e-4, "Adam learning rate", **POSITIVE)
    batch_size: int = setting(256, "transitions per gradient step", **AT_LEAST_ONE)
    utd_ratio: float = setting(doc="gradient steps per env step", **POSITIVE)
    fused_loss: bool = setting(
        True, "the fused update (false: SACLoss.forward, TorchRL's target-update step)"
    )


@dataclass
class ReplayBufferSchema:
    size: int = setting(1_000_000, "transitions kept", **AT_LEAST_ONE)
    storage: str = setting("tensor", "in memory or memory-mapped files", choices=STORAGES)


@dataclass
class SnapshotSchema:
    every_frames: int = setting(50_000, "env steps between snapshots", **AT_LEAST_ONE)
    keep: int = setting(2, "snapshots kept", **AT_LEAST_ONE)
    replay_buffer: bool = setting(True, "include the replay buffer")


@dataclass
class NetworkSchema:
    hidden_sizes: list[int] = setting([256, 256], "hidden layer widths", each_low=1)
    log_std_min: float = setting(-20.0, "policy log-std clamp, low", text="< log_std_max")
    log_std_max: float = setting(2.0, "policy log-std clamp, high", text="> log_std_min")


@dataclass
class EvalSchema:
    every_frames: int = setting(10_000, "env steps between evaluations", **AT_LEAST_ONE)
    episodes: int = setting(10, "episodes per evaluation (0: none)", **NOT_NEGATIVE)
    seed_offset: int = setting(
        1_000_003, "eval env seed = seed + this", low=0, high=SEED_LIMIT, high_open=True
    )
    video: bool = setting(False, "record an episode at each evaluation")
    video_size: list[int] = setting([320, 240], "[width, height] in pixels", each_low=1, length=2)


@dataclass
class LoggerSchema:
    backend: str = setting("csv", "second metrics backend", choices=tuple(LOGGER_BACKENDS))
    every_frames: int = setting(1000, "env steps between train/time rows", **AT_LEAST_ONE)
    project: str = setting("trl-sac", "W&B project")


@dataclass
class TrainSchema:
    env: EnvSchema = field(default_factory=EnvSchema)
    loss: LossSchema = field(default_factory=LossSchema)
    target_update: TargetUpdateSchema = field(default_factory=TargetUpdateSchema)
    seed: int = setting(0, "seed of everything", low=0, high=SEED_LIMIT, high_open=True)
    device: str = setting("auto", "auto, cpu, cuda or cuda:N")
    run_dir: str = setting(doc="where the run writes")
    progress: bool | None = setting(True, "progress bar (null: only on a terminal)")
    compile: bool = setting(False, "torch.compile the update")
    cudagraphs: bool = setting(False, "CUDA graphs for the compiled update")
    restart: bool = setting(False, "move a used run_dir aside and start over")
    collector: CollectorSchema = field(default_factory=CollectorSchema)
    optim: OptimSchema = field(default_factory=OptimSchema)
    replay_buffer: ReplayBufferSchema = field(default_factory=ReplayBufferSchema)
    snapshot: SnapshotSchema = field(default_factory=SnapshotSchema)
    network: NetworkSchema = field(default_factory=NetworkSchema)
    eval: EvalSchema = field(default_factory=EvalSchema)
    logger: LoggerSchema = field(default_factory=LoggerSchema)


@dataclass
class ReportSchema:
    budgets: list[int] | None = setting(None, "frame budgets of the table", each_low=1)
    threshold: float | None = setting(None, "return for the frames-to column", text="any")


@dataclass
class CompareSchema(TrainSchema):
    jobs: Any = setting("auto", "runs at once: auto (one per CPU core) or a number")
    name: str = setting("compare", "the comparison's directory under runs/")
    report: ReportSchema = field(default_factory=ReportSchema)


def typed_config(cfg: DictConfig) -> DictConfig:
    """`cfg` resolved and checked: types, ranges and the rules between keys.

    Raises ConfigError with one line naming the first bad key.
    """
    schema = CompareSchema if "jobs" in cfg else TrainSchema
    try:
        values = OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)
        typed = OmegaConf.merge(OmegaConf.structured(schema), values)
    except MissingMandatoryValue as error:
        key = error.full_key
        example = " (a gymnasium task, e.g. env.id=Swimmer-v5)" if key == "env.id" else ""
        raise ConfigError(f"{key} has no value: set {key}=...{example}") from None
    except OmegaConfBaseException as error:
        key = getattr(error, "full_key", None)
        raise ConfigError(f"{key}: {first_line(error)}" if key else first_line(error)) from None
    check_ranges(typed, schema)
    check_rules(typed)
    return typed


def check_ranges(node: DictConfig, schema: type, prefix: str = "") -> None:
    for spec in fields(schema):
        key, value = f"{prefix}{spec.name}", node[spec.name]
        if is_dataclass(spec.type):
            check_ranges(value, spec.type, f"{key}.")
        elif value is not None:
            _check_value(key, value, spec.metadata)


def check_rules(cfg: DictConfig) -> None:
    """The rules between keys."""
    if cfg.env.max_episode_steps is None:
        check_env_id(cfg.env.id)
        registered = episode_limit(cfg.env.id)
        if registered is None:
            raise ConfigError(
                f"env.id={cfg.env.id} registers no episode limit with gymnasium: "
                "set env.max_episode_steps"
            )
        raise ConfigError(
            f"env.max_episode_steps must be a number of steps, got null "
            f"(leave it out for the task's {registered})"
        )
    collector = cfg.collector
    if collector.total_frames <= collector.init_random_frames:
        raise ConfigError(
            f"collector.total_frames={collector.total_frames} is not more than "
            f"collector.init_random_frames={collector.init_random_frames}: the run would end "
            "in its random warm-up without one gradient update; raise the first or lower the "
            "second"
        )
    if cfg.optim.batch_size > cfg.replay_buffer.size:
        raise ConfigError(
            f"optim.batch_size={cfg.optim.batch_size} is larger than "
            f"replay_buffer.size={cfg.replay_buffer.size}"
        )
    if not cfg.network.hidden_sizes:
        raise ConfigError("network.hidden_sizes must name at least one layer, got []")
    if cfg.network.log_std_min >= cfg.network.log_std_max:
        raise ConfigError(
            f"network.log_std_min={cfg.network.log_std_min} must be below "
            f"network.log_std_max={cfg.network.log_std_max}"
        )
    needed = {"soft": "tau", "hard": "interval"}[cfg.target_update.name]
    if cfg.target_update[needed] is None:
        raise ConfigError(f"target_update={cfg.target_update.name} needs target_update.{needed}")
    jobs = cfg.get("jobs", AUTO)
    if jobs != AUTO and not (isinstance(jobs, int) and not isinstance(jobs, bool) and jobs >= 1):
        raise ConfigError(f"jobs must be auto or a whole number of at least 1, got {jobs!r}")
    entropy = cfg.loss.target_entropy
    if entropy != "auto" and not (
        isinstance(entropy, (int, float))
        and not isinstance(entropy, bool)
        and math.isfinite(entropy)
    ):
        raise ConfigError(f"loss.target_entropy must be auto or a number, got {entropy!r}")


def _check_value(key: str, value: Any, rule: dict[str, Any]) -> None:
    if rule.get("choices") and value not in rule["choices"]:
        raise ConfigError(f"{key}={value!r} is not one of {', '.join(rule['choices'])}")
    if isinstance(value, (list, tuple)) or OmegaConf.is_list(value):
        items = list(value)
        if rule.get("length") is not None and len(items) != rule["length"]:
            raise ConfigError(f"{key} must have {rule['length']} entries, got {items}")
        if rule.get("each_low") is not None and any(item < rule["each_low"] for item in items):
            raise ConfigError(f"{key} entries must be at least {rule['each_low']}, got {items}")
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{key} must be a finite number, got {value}")
    low, high = rule.get("low"), rule.get("high")
    if low is not None and (value <= low if rule["low_open"] else value < low):
        raise ConfigError(f"{key} must be {_lower_words(rule)}, got {value}")
    if high is not None and (value >= high if rule["high_open"] else value > high):
        below = f"below {_number(high)}" if rule["high_open"] else f"at most {_number(high)}"
        raise ConfigError(f"{key} must be {below}, got {value}")


def _lower_words(rule: dict[str, Any]) -> str:
    low = rule["low"]
    if low == 0:
        return "positive" if rule["low_open"] else "zero or positive"
    if low == 1 and not rule["low_open"]:
        return "positive"
    return f"above {_number(low)}" if rule["low_open"] else f"at least {_number(low)}"


def valid_range(rule: dict[str, Any]) -> str:
    """The range as docs/configuration.md writes it: (0, 1], >= 1, one of a, b."""
    if rule.get("text"):
        return rule["text"]
    if rule.get("choices"):
        return "one of " + ", ".join(rule["choices"])
    if rule.get("each_low") is not None:
        length = f"{rule['length']} " if rule.get("length") else ""
        return f"{length}entries >= {rule['each_low']}"
    low, high = rule.get("low"), rule.get("high")
    if low is None and high is None:
        return ""
    if high is None:
        return f"> {_number(low)}" if rule["low_open"] else f">= {_number(low)}"
    left = "(" if rule["low_open"] else "["
    right = ")" if rule["high_open"] else "]"
    high_text = "2^32" if high == SEED_LIMIT else _number(high)
    return f"{left}{_number(low)}, {high_text}{right}"


def _type_text(kind: Any) -> str:
    """`float | None` -> "float or null", `list[int]` -> "list of int" (no "|" in a table)."""
    arguments = [argument for argument in get_args(kind) if argument is not type(None)]
    if get_origin(kind) is list:
        return f"list of {_type_text(arguments[0])}"
    if len(arguments) < len(get_args(kind)):
        return f"{_type_text(arguments[0])} or null"
    return "any" if kind is Any else kind.__name__


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def reference_table(schema: type = CompareSchema, prefix: str = "") -> list[list[str]]:
    """One row per key: key, type, valid range, meaning."""
    rows = []
    for spec in fields(schema):
        key = f"{prefix}{spec.name}"
        if is_dataclass(spec.type):
            rows += reference_table(spec.type, f"{key}.")
        else:
            rows.append(
                [
                    f"`{key}`",
                    _type_text(spec.type),
                    valid_range(spec.metadata),
                    spec.metadata["doc"],
                ]
            )
    return rows


def reference_markdown() -> str:
    """The table of docs/configuration.md."""
    header = ["key", "type", "valid values", "meaning"]
    rows = reference_table()
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(reference_markdown())
