#!/usr/bin/env bash
# Builds native/build/netsys.node with gcc, straight from netsys.c: no node-gyp, so no
# download of Node's headers, no python at build time, and one command a reader can follow.
# Node-API headers come from the npm package node-api-headers (devDependency); libuv is
# declared in uv-min.h (libuv 1.x ABI), checked against a real uv.h when one is installed.
#
#   npm run build:native            (or: bash native/build.sh)
#   NODE_API_HEADERS_DIR=/path/include bash native/build.sh   to use other headers
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "native/build.sh: no C compiler ($cc): install one (Debian/Ubuntu: apt-get install gcc) or set CC" >&2
  exit 1
fi

inc="${NODE_API_HEADERS_DIR:-}"
if [[ -z "$inc" ]]; then
  for d in "$root/node_modules/node-api-headers/include" /usr/include/node; do
    if [[ -f "$d/node_api.h" ]]; then inc="$d"; break; fi
  done
fi
if [[ -z "$inc" || ! -f "$inc/node_api.h" ]]; then
  echo "native/build.sh: node_api.h not found: run 'npm ci' (devDependency node-api-headers) or set NODE_API_HEADERS_DIR" >&2
  exit 1
fi

# uv-min.h hard-codes UV_POLL and UV_READABLE: compare with a real libuv header if there is one.
poll="$(sed -n 's/^#define SBX_UV_POLL \([0-9]*\).*/\1/p' "$here/uv-min.h")"
readable="$(sed -n 's/^#define SBX_UV_READABLE \([0-9]*\).*/\1/p' "$here/uv-min.h")"
for uvh in /usr/include/node/uv.h /usr/include/uv.h; do
  if [[ -f "$uvh" ]]; then
    printf '#include <uv.h>\n_Static_assert(UV_POLL == %s, "UV_POLL");\n_Static_assert(UV_READABLE == %s, "UV_READABLE");\n' \
      "$poll" "$readable" | "$cc" -fsyntax-only -I"$(dirname "$uvh")" -x c - ||
      { echo "native/build.sh: uv-min.h disagrees with $uvh" >&2; exit 1; }
    break
  fi
done

mkdir -p "$here/build"
"$cc" -std=c11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -fvisibility=hidden \
  -I"$inc" -o "$here/build/netsys.node.tmp" "$here/netsys.c"
mv "$here/build/netsys.node.tmp" "$here/build/netsys.node"
echo "native/build.sh: built native/build/netsys.node (headers: $inc)"
