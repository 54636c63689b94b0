#!/bin/sh
# Download the Debian packages whose photos the tool trains on and unpack
# each into data/pkgs/<package>/ (no installation, no root needed beyond
# apt's cache). See NOTICE for the files used and their licences.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-"$here/data/pkgs"}
mkdir -p "$dest" "$here/data/debs"
cd "$here/data/debs"
for pkg in python3-skimage python3-scipy python3-matplotlib; do
    ls ${pkg}_*.deb >/dev/null 2>&1 || apt-get download "$pkg"
    rm -rf "${dest:?}/$pkg" && mkdir -p "$dest/$pkg"
    dpkg -x ${pkg}_*.deb "$dest/$pkg"
    echo "unpacked $pkg into $dest/$pkg"
done
