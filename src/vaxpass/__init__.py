"""vaxpass: national vaccination records, cleaning and vaccine passports."""

__version__ = "0.1.0"
