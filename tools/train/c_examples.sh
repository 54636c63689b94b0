#!/bin/sh
# The C engine on the trained bundle: every held-out test photo under several
# instructions (held-out paraphrases), full depth, uniform 20 steps, written
# as OUT/<photo>_<n>.png with OUT/prompts.txt naming n.
# usage: c_examples.sh [I2I] [BUNDLE] [OUT] [extra i2i run flags...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
i2i=${1:-"$repo/build/i2i"}
bundle=${2:-"$repo/models/ip2p-tiny"}
out=${3:-/tmp/train_examples}
[ $# -ge 3 ] && shift 3 || shift $#
mkdir -p "$out"
: > "$out/prompts.txt"
n=0
while IFS= read -r prompt; do
    n=$((n + 1))
    echo "$n: $prompt" >> "$out/prompts.txt"
    for img in "$repo"/tests/data/heldout/*.jpg; do
        name=$(basename "$img" .jpg)
        "$i2i" run edit --bundle "$bundle" --image "$img" --prompt "$prompt" \
            --out "$out/${name}_$n.png" --depth 13 --steps 20 --gamma 1 \
            --image-guidance-scale 1.5 --guidance-scale 7.5 --threads 1 "$@" >/dev/null
    done
done <<PROMPTS
make the photo black and white
make the image a negative
give the photo a sepia filter
make the image warmer
give the image cool tones
make the image brighter
make the image darker
give it more contrast
make the image blurry
flip the image horizontally
flip the image vertically
PROMPTS
echo "wrote $out"
