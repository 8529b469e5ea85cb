"""Makes the localcloud package beside this file importable by its tests without installing it."""
