from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("rowdesk")
except PackageNotFoundError:      # running from a source tree that is not installed
    VERSION = "0.1.0+source"
