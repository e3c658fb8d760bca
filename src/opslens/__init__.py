"""opslens: operations analytics and reporting for utilities and manufacturers."""

__version__ = "0.1.0"
