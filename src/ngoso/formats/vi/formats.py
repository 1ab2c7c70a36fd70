# Vietnamese formats: Django's own, plus grouping of thousands ("13.180"), which Django leaves off for vi.
from django.conf.locale.vi.formats import *  # noqa: F401,F403

NUMBER_GROUPING = 3
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
