"""The rllab humanoid (21 motors) of the SAC paper as a gymnasium MuJoCo environment.

Faithful to rllab's `HumanoidEnv` (MIT): frame skip 4 at 0.002 s with RK4; observation
[qpos, qvel, clip(cfrc_ext, -1, 1), torso subtree centre of mass]; reward = forward velocity
of the centre of mass + 0.2 alive bonus - control, impact and sideways-velocity costs; the
episode terminates when the torso height leaves [0.8, 2.0]. Reset adds N(0, 0.01) to the
joint positions and N(0, 0.1) to the velocities. Actions are in the motors' units (+-0.4);
trl-sac's envs present them to the policy as [-1, 1], as rllab's normalize wrapper did.
"""

from __future__ import annotations

from pathlib import Path

import mujoco
import numpy as np
from gymnasium import spaces
from gymnasium.envs.mujoco import MujocoEnv
from gymnasium.utils import EzPickle

MODEL_PATH = Path(__file__).with_name("humanoid_rllab.xml")

DEFAULT_CAMERA = {
    "trackbodyid": 1,
    "distance": 4.0,
    "elevation": -15.0,
    "azimuth": 135.0,
    "lookat": np.array([0.0, 0.0, 0.9]),
}


class HumanoidRllabEnv(MujocoEnv, EzPickle):
    """rllab's 21-motor humanoid; reward terms are reported in `info`."""

    metadata = {"render_modes": ["human", "rgb_array", "depth_array"], "render_fps": 125}

    def __init__(
        self,
        *,
        alive_bonus: float = 0.2,
        ctrl_cost_coeff: float = 1e-3,
        impact_cost_coeff: float = 1e-5,
        vel_deviation_cost_coeff: float = 1e-2,
        healthy_z_range: tuple[float, float] = (0.8, 2.0),
        terminate_when_unhealthy: bool = True,
        reset_qpos_noise: float = 0.01,
        reset_qvel_noise: float = 0.1,
        **kwargs,
    ) -> None:
        EzPickle.__init__(
            self,
            alive_bonus=alive_bonus,
            ctrl_cost_coeff=ctrl_cost_coeff,
            impact_cost_coeff=impact_cost_coeff,
            vel_deviation_cost_coeff=vel_deviation_cost_coeff,
            healthy_z_range=healthy_z_range,
            terminate_when_unhealthy=terminate_when_unhealthy,
            reset_qpos_noise=reset_qpos_noise,
            reset_qvel_noise=reset_qvel_noise,
            **kwargs,
        )
        self.alive_bonus = alive_bonus
        self.ctrl_cost_coeff = ctrl_cost_coeff
        self.impact_cost_coeff = impact_cost_coeff
        self.vel_deviation_cost_coeff = vel_deviation_cost_coeff
        self.healthy_z_range = healthy_z_range
        self.terminate_when_unhealthy = terminate_when_unhealthy
        self.reset_qpos_noise = reset_qpos_noise
        self.reset_qvel_noise = reset_qvel_noise
        MujocoEnv.__init__(
            self,
            str(MODEL_PATH),
            frame_skip=4,
            observation_space=None,
            default_camera_config=DEFAULT_CAMERA,
            **kwargs,
        )
        self.torso_id = self.model.body("torso").id
        size = self.model.nq + self.model.nv + 6 * self.model.nbody + 3
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(size,), dtype=np.float64)
        low, high = self.model.actuator_ctrlrange.T
        self._action_half_range = (high - low) / 2

    def step(self, action: np.ndarray):
        self.do_simulation(action, self.frame_skip)
        com_velocity = self.center_of_mass_velocity()
        terms = {
            "reward_forward": com_velocity[0],
            "reward_alive": self.alive_bonus,
            "cost_ctrl": 0.5
            * self.ctrl_cost_coeff
            * np.sum(np.square(action / self._action_half_range)),
            "cost_impact": 0.5 * self.impact_cost_coeff * np.sum(np.square(self.contact_forces())),
            "cost_vel_deviation": 0.5
            * self.vel_deviation_cost_coeff
            * np.sum(np.square(com_velocity[1:])),
        }
        reward = (
            terms["reward_forward"]
            + terms["reward_alive"]
            - terms["cost_ctrl"]
            - terms["cost_impact"]
            - terms["cost_vel_deviation"]
        )
        terminated = self.terminate_when_unhealthy and not self.is_healthy
        if self.render_mode == "human":
            self.render()
        info = {**terms, "torso_height": self.data.qpos[2], "x_position": self.data.qpos[0]}
        return self._get_obs(), reward, terminated, False, info

    @property
    def is_healthy(self) -> bool:
        low, high = self.healthy_z_range
        return bool(low <= self.data.qpos[2] <= high)

    def center_of_mass_velocity(self) -> np.ndarray:
        """Linear velocity of the whole body's centre of mass (the torso's subtree), world frame."""
        return self.data.subtree_linvel[self.torso_id].copy()

    def contact_forces(self) -> np.ndarray:
        return np.clip(self.data.cfrc_ext, -1.0, 1.0)

    def reset_model(self) -> np.ndarray:
        qpos = self.init_qpos + self.np_random.normal(size=self.model.nq) * self.reset_qpos_noise
        qvel = self.init_qvel + self.np_random.normal(size=self.model.nv) * self.reset_qvel_noise
        self.set_state(qpos, qvel)
        self._refresh_derived_quantities()
        return self._get_obs()

    def _step_mujoco_simulation(self, ctrl: np.ndarray, n_frames: int) -> None:
        self.data.ctrl[:] = ctrl
        mujoco.mj_step(self.model, self.data, nstep=n_frames)
        # Quantities at the new state, as rllab's forward() after stepping gave them.
        self._refresh_derived_quantities()

    def _refresh_derived_quantities(self) -> None:
        mujoco.mj_forward(self.model, self.data)
        # cfrc_ext and subtree velocities are only computed on request since MuJoCo 2.
        mujoco.mj_rnePostConstraint(self.model, self.data)
        mujoco.mj_subtreeVel(self.model, self.data)

    def _get_obs(self) -> np.ndarray:
        return np.concatenate(
            [
                self.data.qpos.flat,
                self.data.qvel.flat,
                self.contact_forces().flat,
                self.data.subtree_com[self.torso_id].flat,
            ]
        )
