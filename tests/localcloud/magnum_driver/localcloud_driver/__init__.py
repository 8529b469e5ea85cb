"""Magnum drivers of the coe.magnum local cloud (entry points in the magnum.drivers group)."""
