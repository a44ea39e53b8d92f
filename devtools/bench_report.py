"""The benchmark report as text: the table ``python -m devtools.bench`` prints (ratios, sizes, why each result is
what it is). Pure formatting of the dict :func:`devtools.bench.run_benchmarks` returns."""

from __future__ import annotations

from typing import Any

#: The issue's goal for the first chart of a cold server, in seconds.
APP_COLD_TARGET_S = 8.0


def failed_workloads(report: dict[str, Any]) -> list[str]:
    """The workloads that raised (missing peers are not failures)."""
    return [name for name, w in report["workloads"].items() if w.get("error")]


def _si(value: float | None) -> str:
    if value is None:
        return "n/a"
    for scale, prefix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:.1f}{prefix}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3g}"


def _ratio(peer: dict[str, Any]) -> str:
    if peer.get("ratio") is None:
        return ""
    r = peer["ratio"]
    text = f"{r:8.2f}x" if r < 10 else f"{r:8.1f}x"
    if peer.get("target") is not None:
        text += f"   goal >= {peer['target']:g}x: {'met' if peer['met'] else 'NOT met'}"
    return text


PEER_NAMES = {
    "numpy": "numpy, vectorised",
    "blackjax": "BlackJAX sgld, vmapped",
    "noise_floor": "noise only, jax.random.normal",
    "fused_noise_floor": "noise only, fused (same numbers)",
    "matmul": "dense float32 matmul",
    "layer_matmul": "one hidden-layer matmul",
    "pytorch": "PyTorch eager (CPU)",
}


def _size_text(w: dict[str, Any]) -> str:
    size = w.get("size", {})
    if "n_particles" in size and "n_steps" in size:
        return f"{size['n_particles']} particles x {size['n_steps']} steps"
    if "batch" in size:
        return f"{size['n_steps']} steps"
    if "n_frames" in size:
        return f"{size['n_particles']} particles x {size['n_frames']} frames, {size['width']}x{size['height']} px"
    return ""


def format_table(report: dict[str, Any]) -> str:
    """The human-readable report: one block per workload, ratio = scoredemo / peer (higher is better)."""
    m = report["machine"]
    lines = [
        f"scoredemo bench{' --quick' if report['quick'] else ''}: {m['processor']}, {m['cpu_count']} cores, "
        f"jax {m['jax']} ({m['backend']}); load average {m['load_average'][0]:.2f} at start, "
        f"{m['load_average_end'][0]:.2f} at end (timings on a busy machine are pessimistic)",
        "ratio = scoredemo / peer, both measured in this run",
    ]
    for name, w in report["workloads"].items():
        if name in ("scaling", "sharded"):
            continue
        size = _size_text(w)
        unit = w.get("unit", "")
        lines.append("")
        lines.append(f"{w.get('title', name)}{', ' + size if size else ''}{f'  [{unit}]' if unit else ''}")
        if w.get("error"):
            lines.append(f"  {'scoredemo':<34} {'ERROR':>10}   {_error_text(w)}")
            continue
        if w.get("scoredemo") is None:
            lines.append(f"  {'scoredemo':<34} {'n/a':>10}   {w.get('reason', '')}")
            continue
        if isinstance(w["scoredemo"], dict):  # one number per variant (the diffusion samplers' NFE)
            lines += _variant_lines(name, w)
            continue
        lines.append(f"  {'scoredemo':<34} {_si(w['scoredemo']):>10}")
        for pname, peer in w.get("peers", {}).items():
            label = PEER_NAMES.get(pname, pname)
            if peer.get("value") is None:
                lines.append(f"  {label:<34} {'n/a':>10}   {peer.get('reason', '')}")
            else:
                lines.append(f"  {label:<34} {_si(peer['value']):>10} {_ratio(peer)}")
        lines += _why(name, w)
    lines += _analysis_lines(report["workloads"])
    failed = failed_workloads(report)
    if failed:
        lines += ["", f"FAILED: {', '.join(failed)} raised (see ERROR above); exit status 1"]
    return "\n".join(lines)


def _variant_lines(name: str, w: dict[str, Any]) -> list[str]:
    """A workload measured per variant: the diffusion samplers' NFE to annealed Langevin's energy distance, with
    their throughput next to the Langevin kernel's."""
    lines = []
    if name == "diffusion":
        lines.append(
            f"  NFE to reach energy distance {w['target_energy_distance']:g} (annealed Langevin: {w['annealed_nfe']} "
            f"score evaluations; two exact sample sets differ by {w['exact_vs_exact_energy_distance']:g}):"
        )
    for variant, value in w["scoredemo"].items():
        lines.append(f"    {variant:<32} {value if value is not None else 'not reached':>10}")
    for variant, rate in w.get("particle_steps_per_s", {}).items():
        lines.append(f"    {variant + ' particle-steps/s':<32} {_si(rate):>10}")
    if "diffrax_heun_vs_hand_heun" in w:
        lines.append(
            f"  diffrax's fixed-step Heun / the hand-written one (time ratio): {w['diffrax_heun_vs_hand_heun']}"
        )
    return lines


def _error_text(w: dict[str, Any]) -> str:
    return f"{w['error']} ({w['error_at']})" if w.get("error_at") else w["error"]


def _why(name: str, w: dict[str, Any]) -> list[str]:
    """The measurement behind a missed goal, under its workload."""
    act = w.get("activation") if name == "langevin_learned" else None
    if act:
        return [
            f"  why: the MLP forward alone: {act['forward_gflops_softplus']:.0f} GFLOP/s with softplus, "
            f"{act['forward_gflops_no_activation']:.0f} GFLOP/s without; softplus (exp + log1p per hidden unit) "
            f"takes {100 * act['softplus_share_of_time']:.0f}% of the time"
        ]
    if name == "app_latency" and w.get("scoredemo") is not None:
        return [
            f"  cold start → first chart {w['cold_first_chart_s']:.2f} s; noise toggle median "
            f"{w['noise_toggle_s']['median']:.2f} s, p95 {w['noise_toggle_s']['p95']:.2f} s; π move median "
            f"{w['pi_move_s']['median']:.2f} s, p95 {w['pi_move_s']['p95']:.2f} s ({w['n_interactions']} interactions, "
            "input event → first frame showing the change)",
            f"  whole page settled (every chart redrawn): median {w['page_settled_s']['median']:.2f} s, "
            f"p95 {w['page_settled_s']['p95']:.2f} s; timed from the harness's call instead: p95 "
            f"{w['harness_p95_s']:.2f} s",
            f"  XLA compilations during the interactions: {w['compilations_during_interactions']} (goal 0); "
            f"server peak RSS {w['server_peak_rss_mb']:.0f} MB; goal warm p95 ≤ {w['target']:g} s: "
            f"{'met' if w['met'] else 'NOT met'}; goal cold ≤ {w.get('cold_target', APP_COLD_TARGET_S):g} s: "
            f"{'met' if w['cold_first_chart_s'] <= w.get('cold_target', APP_COLD_TARGET_S) else 'NOT met'}",
            *(_scene_latency_line(w[k]) for k in ("diffusion_scene", "drawing") if k in w),
        ]
    if name == "first_visit" and w.get("scoredemo") is not None:
        from devtools.first_visit import format_report as first_visit_report  # noqa: PLC0415 - pure formatting

        return first_visit_report(w).splitlines()
    if name == "page_weight" and w.get("scoredemo") is not None:
        from devtools.page_weight import format_report  # noqa: PLC0415 - pure formatting

        return ["  " + line.strip() for line in format_report(w).splitlines()]
    if name == "export" and w.get("scoredemo") is not None:
        goal = w["target_s"]
        cells = []
        for fmt in ("gif", "mp4"):
            r = w[fmt]
            cells.append(
                f"{fmt.upper()} {r['seconds']:.2f} s (CPU {r['cpu_seconds']:.2f} s), {r['bytes'] / 1e6:.2f} MB, "
                f"goal <= {goal:g} s: {'met' if r['seconds'] <= goal else 'NOT met'}"
            )
        draw = w["draw"]
        return [
            f"  {cells[0]}; {cells[1]}",
            f"  drawing the frames alone {draw['seconds']:.2f} s (CPU {draw['cpu_seconds']:.2f} s)",
        ]
    over = w.get("overhead_analysis", {}) if name == "training" else {}
    if over.get("ceiling_ratio_without_overhead") is not None:
        ours, theirs, small = over["scoredemo_s_per_step"], over["pytorch_s_per_step"], over["small_batch"]
        return [
            f"  why: ms per step: scoredemo {1e3 * ours['full']:.2f} (batch {small}: {1e3 * ours['small']:.2f}), "
            f"PyTorch {1e3 * theirs['full']:.2f} (batch {small}: {1e3 * theirs['small']:.2f});",
            f"       with no per-step overhead at all scoredemo would reach "
            f"{over['ceiling_ratio_without_overhead']:.2f}x (PyTorch's compute time / scoredemo's: "
            f"{over['compute_ratio']:.2f})",
        ]
    return []


def _analysis_lines(work: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    sc = work.get("scaling", {})
    lines.append("")
    if sc.get("by_particles"):
        lines.append(f"{sc['title']}")
        lines.append(f"  {'particles':>10} {'steps':>7} {'ns/particle-step':>17} {'particle-steps/s':>17}")
        for p in sc["by_particles"]:
            rate = 1e9 / p["ns_per_particle_step"]
            lines.append(
                f"  {p['n_particles']:>10} {p['n_steps']:>7} {p['ns_per_particle_step']:>17.2f} {_si(rate):>17}"
            )
        cells = ", ".join(f"{p['n_steps']} steps {p['us_per_step']:.1f}" for p in sc["by_steps"])
        lines.append(f"  us per step at {sc['by_steps'][0]['n_particles']} particles: {cells}")
        lines.append("  " + sc["note"])
    elif sc.get("error"):
        lines.append(f"scaling: ERROR {_error_text(sc)}")
    else:
        lines.append(f"scaling: {sc.get('reason')}")
    sh = work.get("sharded", {})
    lines.append("")
    if sh.get("error"):
        lines.append(f"sharded: ERROR {_error_text(sh)}")
    elif sh.get("scoredemo") is None:
        lines.append(f"sharded: {sh.get('reason')}")
    else:
        lines.append(
            f"{sh['title']}, {sh['size']['n_particles']} particles x {sh['size']['n_steps']} steps: "
            f"{_si(sh['scoredemo'])} particle-steps/s vs {_si(sh['single_device'])} on one device "
            f"({sh['speedup']:.2f}x); samples identical to the unsharded run: {sh['identical']}"
        )
    return lines


def _scene_latency_line(m: dict) -> str:
    """One line for a scene's latency harness (``bench._scene_latency``): the median / p95 of each interaction the
    harness names (``interactions``: its results are ``<name>_s``)."""
    parts = [
        f"{name} {m[f'{name}_s']['median']:.3f} / {m[f'{name}_s']['p95']:.3f} s"
        for name in m["interactions"]
        if m.get(f"{name}_s", {}).get("median") is not None
    ]
    return (
        f"  {m['what']} (median / p95): " + ", ".join(parts) + f"; {m['compilations_during_interactions']} "
        f"compilations; goal p95 ≤ {m['target']:g} s: {'met' if m['met'] else 'NOT met'}"
    )
