"""A settings module for workers: ``SCRAPY_SETTINGS_MODULE=distributed.settings scrapy crawl ...``.

The same as ``-s NIANBAO_DISTRIBUTED=1`` on the project settings: everything the add-on in
:mod:`distributed.addon` switches follows from this one value (REDIS_URL still says where Redis is).
"""
import settings as _project
from settings import *  # noqa: F401,F403  (the project's polite defaults)

ADDONS = {**getattr(_project, "ADDONS", {}), "distributed.addon.DistributedAddon": 0}
NIANBAO_DISTRIBUTED = True
