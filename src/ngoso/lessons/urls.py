from django.urls import path

from . import views

urlpatterns = [
    path("lessons/", views.library, name="lessons"),
    path("lessons/translations/", views.translations, name="lesson_translations"),
    path("lessons/translations/template.xlsx", views.translation_template, name="lesson_translation_template"),
    path("lessons/print/", views.tomorrow, name="lesson_batch"),
    path("lessons/print/choose/", views.tomorrow_choose, name="lesson_batch_choose"),
    path("lessons/<slug:skill>/", views.lesson, name="lesson"),
    path("lessons/<slug:skill>/audio/<slug:audience>/<slug:part>.ogg", views.audio, name="lesson_audio"),
    path("lessons/<slug:skill>/handout.pdf", views.handout, name="lesson_handout"),
    path("lessons/<slug:skill>/check/", views.check, name="lesson_check"),
    path("lessons/<slug:skill>/edit/", views.edit, name="lesson_edit"),
    path("lessons/<slug:skill>/history/", views.history, name="lesson_history"),
    path("lessons/<slug:skill>/restore/<int:pk>/", views.restore, name="lesson_restore"),
]
