"""newsletter: compose AI-research newsletters from TOML entries in real house styles.

The package is a library first: ``load_issue`` → ``check_issue`` → ``render_issue``. The
``newsletter`` command (``newsletter.cli``) is a thin face over it. Nothing heavy is
imported here, so ``newsletter --help`` stays fast.
"""

__version__ = "0.1.0"

# The name to pip-install: PyPI's `newsletter` is an unrelated project.
DISTRIBUTION = "newsletter-composer"
HOMEPAGE = "https://pypi.org/project/newsletter-composer/"
