"""The duplicates review pages (issue 19), under /duplicates/."""

from django.urls import path

from . import review

urlpatterns = [
    path("", review.review, name="duplicates"),
    path("scan/", review.scan_now, name="duplicates_scan"),
    path("merge/", review.merge_pair, name="duplicates_merge"),
    path("not-same/", review.not_same, name="duplicates_not_same"),
    path("undo/<int:pk>/", review.undo, name="duplicates_undo"),
    path("import/<str:token>/", review.import_choose, name="import_choose"),
]
