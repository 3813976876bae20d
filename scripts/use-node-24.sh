# Puts Node.js 24 LTS first on PATH for this shell, when the machine's own Node.js is older.
# Source it (`. scripts/use-node-24.sh`): it installs the npm registry's prebuilt Node.js 24
# (the `node-linux-<arch>` package, which brings the binary and the headers native addons
# build against) into a cache folder once, then reuses it.
_ra_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_ra_node_major)" -lt 24 ]; then
  case "$(uname -m)" in
    x86_64) _ra_arch=x64 ;;
    aarch64 | arm64) _ra_arch=arm64 ;;
    *) echo "No prebuilt Node.js 24 for $(uname -m): install Node.js 24 LTS yourself." >&2; return 1 ;;
  esac
  _ra_dir="${SMARTCARD_RA_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/smartcard-ra/node24}"
  _ra_home="$_ra_dir/node_modules/node-linux-$_ra_arch"
  if [ ! -x "$_ra_home/bin/node" ]; then
    echo "Installing Node.js 24 LTS from the npm registry into $_ra_dir"
    mkdir -p "$_ra_dir"
    npm install --prefix "$_ra_dir" --no-save --no-package-lock --no-audit --no-fund \
      "node-linux-$_ra_arch@24" >/dev/null || return 1
  fi
  export PATH="$_ra_home/bin:$PATH"
  # Native addons (argon2, pcsclite) build against this Node's own headers.
  export npm_config_nodedir="$_ra_home"
  hash -r
  unset _ra_arch _ra_dir _ra_home
fi
unset -f _ra_node_major
