"""``scrapy archive-writer``: the hyphenated name of ``scrapy archive_writer``.

Scrapy names a command after its module, and a module name cannot be imported with ``import``
when it has a hyphen, but Scrapy imports command modules by name, so this file gives the command
the name the docs use. The implementation lives in ``commands/archive_writer.py``.
"""
from commands.archive_writer import Command as _Command


class Command(_Command):
    pass
