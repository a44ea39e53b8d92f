"""Developer tools: benchmarks and the browser/protocol test harness (not part of the shipped package)."""
