"""``scrapy import-warc``: Scrapy names a command after its module (and wants the class defined
there), so this hyphenated module subclasses the implementation in ``commands/import_warc.py``."""
from commands.import_warc import Command as _Command


class Command(_Command):
    pass
