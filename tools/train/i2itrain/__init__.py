"""Training tool for i2i-serve's tiny InstructPix2Pix bundle (see ../README.md)."""
