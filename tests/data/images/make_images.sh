#!/bin/sh
# Regenerates the test images for tests/unit/test_image_codec.c (see
# README.md). Needs ImageMagick 6 (convert), exiftool, exiftran and Pillow
# (Debian: imagemagick libimage-exiftool-perl exiftran python3-pil). Every
# file is made by these tools, none by our own code.
set -eu
cd "$(dirname "$0")"
rm -f -- *.png *.jpg *.gif *.bmp *.tga *.ppm *.psd *.hdr *.tif *.webp
CONVERT=/usr/bin/convert # the real ImageMagick, not a wrapper on PATH
flat="-background white -alpha remove -alpha off -depth 8 -strip -define png:color-type=2"

# --- orientation: quadrants red/lime over blue/white, 48x32 (MCU aligned
# so exiftran can rotate losslessly); an off-centre black dot breaks the
# remaining symmetry
$CONVERT -size 24x16 xc:red -size 24x16 xc:lime +append \
    \( -size 24x16 xc:blue -size 24x16 xc:white +append \) -append \
    -fill black -draw 'rectangle 4,4 9,7' -strip base.png
$CONVERT base.png -quality 95 -sampling-factor 1x1 -strip base.jpg
for n in 1 2 3 4 5 6 7 8; do
    exiftool -q -Orientation#=$n -o orient_$n.jpg base.jpg
    $CONVERT orient_$n.jpg -auto-orient $flat orient_$n.ref.png
    # exiftran must agree with ImageMagick on the convention
    exiftran -a -o /tmp/exiftran_$n.jpg orient_$n.jpg 2>/dev/null
    $CONVERT /tmp/exiftran_$n.jpg $flat /tmp/exiftran_$n.png
    $CONVERT orient_$n.ref.png /tmp/exiftran_$n.png -metric AE -fuzz 3% \
        -compare -format '%[distortion]' info: | grep -qx 0 ||
        { echo "exiftran and convert disagree on orientation $n" >&2; exit 1; }
    rm -f /tmp/exiftran_$n.jpg /tmp/exiftran_$n.png
done
# as cameras write it: Exif with an embedded JPEG thumbnail (its own SOI/EOI
# inside the APP1 segment)
$CONVERT base.png -resize 12x8 -strip /tmp/thumb.jpg
exiftool -q '-ThumbnailImage<=/tmp/thumb.jpg' -Orientation#=6 -o orient_6_thumb.jpg base.jpg
rm -f /tmp/thumb.jpg
# the same tag in a little-endian (II) TIFF header; exiftool writes MM
exiftool -q -ExifByteOrder=II -Orientation#=6 -o orient_6_ii.jpg base.jpg
# PNG carries EXIF in an eXIf chunk; ImageMagick 6 ignores it there, so the
# reference is Pillow's ImageOps.exif_transpose (what diffusers' load_image
# applies)
exiftool -q -Orientation#=6 -o orient_6.png base.png
/usr/bin/python3 -c 'from PIL import Image, ImageOps
ImageOps.exif_transpose(Image.open("orient_6.png")).convert("RGB").save("orient_6_png.ref.png")'

# --- PNG colour types and bit depths, all from one RGBA gradient whose alpha
# runs from 0 to 1 (sample values are not multiples of 257, so the 16-bit
# files exercise the rounding); X.png has X.ref.png = ImageMagick's flatten
# on white
$CONVERT -size 16x8 xc:black -alpha set \
    -channel R -fx '(i+0.3)/w' -channel G -fx '(j+0.6)/h' \
    -channel B -fx '0.2+0.6*((i+j)%2)' -channel A -fx '(i*h+j)/(w*h-1)' +channel \
    -depth 16 -strip PNG64:rgba16.png
$CONVERT rgba16.png -depth 8 -strip PNG32:rgba.png
$CONVERT rgba16.png -alpha off -depth 16 -strip PNG48:rgb16.png
$CONVERT rgba16.png -colorspace Gray -depth 16 -strip -define png:color-type=4 grey_alpha16.png
$CONVERT rgba16.png -alpha off -colorspace Gray -depth 16 -strip -define png:color-type=0 \
    grey16.png
$CONVERT rgba16.png -alpha off -colorspace Gray -depth 8 -strip -define png:color-type=0 grey.png
$CONVERT rgba16.png -colorspace Gray -depth 8 -strip -define png:color-type=4 grey_alpha.png
$CONVERT rgba16.png -alpha off -depth 8 -colors 16 -strip PNG8:palette.png
# palette with a tRNS chunk: the dot and the left column made transparent
$CONVERT rgba16.png -alpha off -depth 8 -colors 15 -fill black \
    -draw 'rectangle 0,0 0,7' -transparent black -strip PNG8:palette_trns.png
$CONVERT rgba16.png -alpha off -depth 8 -interlace PNG -strip PNG24:interlaced.png
for f in rgba16 rgba rgb16 grey_alpha16 grey16 grey grey_alpha palette palette_trns \
    interlaced; do
    $CONVERT $f.png $flat $f.ref.png
done

# --- JPEG variants of the orientation pattern
$CONVERT base.png -interlace JPEG -quality 90 -strip jpeg_progressive.jpg
$CONVERT base.png -colorspace Gray -quality 90 -strip jpeg_grey.jpg
$CONVERT base.png -quality 90 -sampling-factor 2x2 -strip jpeg_yuv420.jpg
$CONVERT base.png -colorspace CMYK -quality 90 -strip jpeg_cmyk.jpg
# Pillow writes plain CMYK (Adobe transform 0; ImageMagick writes YCCK, 2);
# without its Adobe APP14 marker a 4-component JPEG is ambiguous
/usr/bin/python3 -c 'from PIL import Image
Image.open("base.png").convert("CMYK").save("jpeg_cmyk_plain.jpg", quality=90)'
exiftool -q -Adobe:all= -o jpeg_cmyk_no_adobe.jpg jpeg_cmyk_plain.jpg
for f in jpeg_progressive jpeg_grey jpeg_yuv420 jpeg_cmyk jpeg_cmyk_plain; do
    $CONVERT $f.jpg $flat $f.ref.png
done

# --- formats the service does not accept (8x8 to stay tiny)
$CONVERT base.png -resize 8x8! -strip small.png
$CONVERT small.png small.gif
$CONVERT -delay 10 small.png \( small.png -rotate 90 \) -loop 0 anim.gif
$CONVERT small.png BMP3:small.bmp
$CONVERT small.png small.tga
$CONVERT small.png small.ppm
$CONVERT small.png small.psd
$CONVERT small.png small.hdr
$CONVERT small.png small.tif
$CONVERT small.png small.webp
rm -f small.png base.png
