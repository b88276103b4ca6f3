"""The console's lists: a filter value the database cannot compare is a bad filter, not an error.

Django's ChangeList turns a lookup value it cannot even build a query from into
IncorrectLookupParameters (the list shows again without the filter, ``?e=1``), but a value that
fails only when the query runs, such as a number beyond SQLite's 64-bit integers
(``?client=99999999999999999999999``), escaped as a server error.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import DataError


class LookupSafeChangeList(ChangeList):
    def get_results(self, request):
        try:
            super().get_results(request)
        except (OverflowError, DataError) as error:
            raise IncorrectLookupParameters(error) from None
