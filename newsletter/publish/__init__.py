"""Issues out to readers: the static web archive and its feeds (``site``, ``feeds``,
``output``), and sending by mail."""
