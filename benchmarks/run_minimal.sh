#!/usr/bin/env bash
# Run every minimal script REPEATS times with cold caches (fresh PyTensor / httpstan / numba
# dirs), the same environment samplerbench gives its workers. Prints one JSON line per run;
# a failing script prints the last line of its error instead.
set -uo pipefail
N=${1:-2000}; REPEATS=${2:-3}
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=${PY:-$ROOT/.venv/bin/python}
for backend in ${BACKENDS:-pystan pymc pymc-numpyro pymc-blackjax numpyro nutpie}; do
  for _ in $(seq "$REPEATS"); do
    cache=$(mktemp -d); work=$(mktemp -d)
    if ! (cd "$work" && env JAX_ENABLE_X64=1 JAX_PLATFORMS=cpu \
        XLA_FLAGS=--xla_force_host_platform_device_count=4 \
        PYTENSOR_FLAGS="base_compiledir=$cache/pytensor" XDG_CACHE_HOME="$cache/xdg" \
        NUMBA_CACHE_DIR="$cache/numba" "$PY" "$ROOT/benchmarks/minimal.py" "$backend" "$N" \
        >"$work/out" 2>"$work/err"); then
      echo "$backend failed: $(tail -1 "$work/err")"
    else
      tail -1 "$work/out"
    fi
    rm -rf "$cache" "$work"
  done
done
