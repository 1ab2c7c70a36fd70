# English formats with day-first dates, as the Vietnamese users of the English interface expect.
from django.conf.locale.en.formats import *  # noqa: F401,F403

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "d/m/Y"
NUMBER_GROUPING = 3
