# Twoway's English writes dates day first, as most of its readers outside the US do ("21 September
# 2026", "21 Sep 2026"), and times on the 24-hour clock. Other languages keep Django's own formats
# (German: "21. September 2026", "21.09.2026"). Templates ask for these by name (DATE_FORMAT, ...), never
# for a fixed pattern, so each reader gets their own locale's order.
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
MONTH_DAY_FORMAT = "j F"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
