"""The peers the benchmark measures scoredemo against: a numpy Langevin loop, BlackJAX's Langevin kernel and a
PyTorch dsm trainer (each written the way their own docs do it), and how a missing peer is told from a crash."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np


class PeerMissing(Exception):
    """A peer a workload compares against is not installed here: the result is n/a with this reason, not an error."""


#: The peers' import names; only their absence (and a missing browser, see ``app_latency``) counts as "missing".
PEERS = ("blackjax", "torch")


def missing_peer_reason(err: BaseException) -> str | None:
    """Why ``err`` means "a peer is missing" (:class:`PeerMissing`, or an ImportError of a :data:`PEERS` module);
    None if it is any other failure."""
    if isinstance(err, PeerMissing):
        return str(err)
    if isinstance(err, ImportError) and (err.name or "").split(".")[0] in PEERS:
        return f"{err.name} not available ({type(err).__name__}: {err}); `pip install -r requirements-bench.txt`"
    return None


def import_peer(name: str) -> Any:
    """``import name`` for one of :data:`PEERS`; raises :class:`PeerMissing` (with the reason) if it cannot."""
    assert name in PEERS, name
    try:
        return __import__(name)
    except ImportError as err:
        raise PeerMissing(missing_peer_reason(err) or f"{name} not available ({type(err).__name__}: {err})") from err


# ------------------------------------------------------------------------------- 1. Langevin, exact score


def _numpy_langevin(mix, x0: np.ndarray, n_steps: int, step_size: float, seed: int) -> Callable[[], np.ndarray]:
    """A straightforward vectorised numpy Langevin loop (float32), with the same per-step divergence check."""
    means = np.asarray(mix.means, np.float32)
    var = np.asarray(mix.scales, np.float32) ** 2
    log_norm = np.asarray(mix.log_weights, np.float32) - np.float32(math.log(2 * math.pi)) - np.log(var)
    eps = np.float32(step_size)
    noise_scale = np.float32(math.sqrt(2 * step_size))

    def score(x: np.ndarray) -> np.ndarray:
        diff = means[None, :, :] - x[:, None, :]  # (N, K, 2)
        logits = log_norm - 0.5 * np.sum(diff * diff, axis=-1) / var  # (N, K)
        logits -= logits.max(axis=1, keepdims=True)
        r = np.exp(logits)
        r /= r.sum(axis=1, keepdims=True)
        return np.sum((r / var)[:, :, None] * diff, axis=1)

    def run() -> np.ndarray:
        rng = np.random.default_rng(seed)
        x = x0.copy()
        for _ in range(n_steps):
            x = x + eps * score(x) + noise_scale * rng.standard_normal(x.shape, dtype=np.float32)
            if not np.isfinite(x.sum()):
                break
        return x

    return run


def _blackjax_langevin(mix, n_particles: int, n_steps: int, step_size: float) -> Callable[..., Any]:
    """BlackJAX's SGLD kernel (exact gradient, no minibatch), vmapped over particles, one key per particle."""
    blackjax = import_peer("blackjax")

    sgld = blackjax.sgld(lambda x, _batch: mix.score(x[None, :])[0])  # the same score function as scoredemo's

    @jax.jit
    def run(rng_key, x0):
        def body(t, x):
            keys = jax.random.split(jax.random.fold_in(rng_key, t), n_particles)
            return jax.vmap(lambda k, xi: sgld.step(k, xi, None, step_size))(keys, x)

        return jax.lax.fori_loop(0, n_steps, body, x0)

    return run


def _torch_dsm(mix, *, width: int, depth: int, batch: int, sigma: float, lr: float, ema: float, seed: int):
    """The scoredemo training step in PyTorch eager: fresh exact samples, DSM loss, Adam, weight EMA."""
    torch = import_peer("torch")

    torch.manual_seed(seed)
    layers: list[Any] = []
    sizes = [2] + [width] * depth
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(a, b), torch.nn.Softplus()]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width, 2))
    opt = torch.optim.Adam(net.parameters(), lr=lr, eps=1e-8)
    params = list(net.parameters())
    averaged = [p.detach().clone() for p in params]
    means = torch.tensor(np.asarray(mix.means), dtype=torch.float32)
    scales = torch.tensor(np.asarray(mix.scales), dtype=torch.float32)
    log_w = torch.tensor(np.asarray(mix.log_weights), dtype=torch.float32)

    def step(t: int) -> float:
        k = torch.distributions.Categorical(logits=log_w).sample((batch,))
        x = means[k] + scales[k, None] * torch.randn(batch, 2)
        z = torch.randn(batch, 2)
        r = net(x + sigma * z) + z / sigma
        loss = 0.5 * (r * r).sum(-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            decay = min(ema, (1.0 + t) / (10.0 + t))
            torch._foreach_lerp_(averaged, [p.detach() for p in params], 1.0 - decay)
        return loss

    def run(n_steps: int, threads: int) -> None:
        torch.set_num_threads(threads)
        for t in range(n_steps):
            step(t)

    return run
