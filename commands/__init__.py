"""nianbao's Scrapy commands (``COMMANDS_MODULE``): ``scrapy extract``, ``scrapy demo`` ..."""
