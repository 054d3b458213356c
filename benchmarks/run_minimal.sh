#!/usr/bin/env bash
# Run every minimal script REPEATS times with cold caches (fresh PyTensor / httpstan / numba
# dirs), the same environment samplerbench gives its workers. Prints one JSON line per run.
set -euo pipefail
N=${1:-2000}; REPEATS=${2:-3}
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
for backend in pystan pymc pymc-numpyro pymc-blackjax numpyro nutpie; do
  for _ in $(seq "$REPEATS"); do
    cache=$(mktemp -d); work=$(mktemp -d)
    (cd "$work" && env JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu \
        XLA_FLAGS=--xla_force_host_platform_device_count=4 \
        PYTENSOR_FLAGS="base_compiledir=$cache/pytensor" XDG_CACHE_HOME="$cache/xdg" \
        NUMBA_CACHE_DIR="$cache/numba" "$OLDPWD/$PY" "$OLDPWD/benchmarks/minimal.py" "$backend" "$N" 2>/dev/null | tail -1)
    rm -rf "$cache" "$work"
  done
done
