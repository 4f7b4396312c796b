"""K210 ISP: SLIP framing, reset strategies, the flasher and the bootable image format."""
