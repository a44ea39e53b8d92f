"""Langevin with particles sharded across devices (``jax.sharding``), run by ``devtools.bench`` in a subprocess.

The sampler's code is unchanged: placing the initial particles with a ``NamedSharding`` that splits the particle
axis over a 1-D device mesh makes ``jit`` compile the same program SPMD-partitioned, each device stepping its own
particles. The noise of particle i at step t depends only on (key, t, i), so the sharded run draws exactly the
numbers of the unsharded one; the per-step divergence check becomes a 2-scalar all-reduce.

Usage (devices must be configured before JAX starts, hence a subprocess)::

    XLA_FLAGS=--xla_force_host_platform_device_count=2 python -m devtools.bench_sharded N_PARTICLES N_STEPS REPEATS

On a machine with several GPUs (the CUDA build of JAX) the same command without XLA_FLAGS shards over the GPUs.
Prints one JSON object.
"""

from __future__ import annotations

import json
import sys

import jax
import numpy as np
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from devtools.bench import SEED, STEP_SIZE, best_times
from scoredemo import samplers
from scoredemo.densities import make_density


def main(argv: list[str]) -> int:
    n, steps, repeats = (int(a) for a in argv[:3])
    devices = jax.devices()
    n -= n % len(devices)  # equal shards
    mesh = jax.make_mesh((len(devices),), ("particles",))
    density = make_density("two-modes")
    key = jax.random.key(SEED)
    x0 = samplers.uniform_init(jax.random.key(SEED + 1), n, density.box)
    x_sharded = jax.device_put(x0, NamedSharding(mesh, P("particles", None)))
    x_single = jax.device_put(x0, devices[0])
    params = samplers.make_params(STEP_SIZE, steps_per_level=steps)
    run = samplers.compiled_run("langevin", 2)
    single = run(key, density.mixture, x_single, params, steps)
    sharded = run(key, density.mixture, x_sharded, params, steps)
    times = best_times(
        {
            "single": lambda: run(key, density.mixture, x_single, params, steps),
            "sharded": lambda: run(key, density.mixture, x_sharded, params, steps),
        },
        repeats,
    )
    out = {
        "unit": "particle-steps/s",
        "devices": len(devices),
        "platform": devices[0].platform,
        "size": {"n_particles": n, "n_steps": steps},
        "scoredemo": n * steps / times["sharded"],
        "single_device": n * steps / times["single"],
        "speedup": times["single"] / times["sharded"],
        "identical": bool(np.array_equal(np.asarray(single.samples), np.asarray(sharded.samples))),
        "output_sharding": str(sharded.samples.sharding.spec),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
