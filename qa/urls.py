from django.urls import path

from qa.views import bank
from qa.views import quiz as quiz_views
from qa.views import reports as report_views
from qa.views import study as study_views
from qa.views.sets import copy_study as set_copy_study
from qa.views.sets import export_import as set_export_import
from qa.views.sets import filling as set_filling
from qa.views.sets import items as set_items
from qa.views.sets import pages as set_pages

app_name = "qa"

urlpatterns = [
    path("bank/", bank.bank_list, name="bank-list"),
    path("bank/<slug:slug>/", bank.bank_detail, name="bank"),
    path("bank/<slug:slug>/<slug:section_key>/", bank.section_detail, name="section"),
    path("search/", bank.search, name="search"),
    # A key contains slashes, so "q/<path:key>/" would swallow "q/<key>/answer/": routes below
    # a question go above it.
    path("q/<path:key>/answer/", bank.question_answer, name="question-answer"),
    path("q/<path:key>/report/", report_views.report_create, name="report-create"),
    path("q/<path:key>/changes/<int:history_id>/", report_views.question_change,
         name="question-change"),
    path("q/<path:key>/", bank.question_detail, name="question"),
    # Error reports and their outcomes
    path("reports/", report_views.my_reports, name="my-reports"),
    path("reports/<int:pk>/", report_views.report_detail, name="report"),
    # Studying: quizzes, bookmarks, notes, mistakes
    path("quiz/start/", quiz_views.quiz_start, name="quiz-start"),
    path("quiz/<int:pk>/", quiz_views.quiz_detail, name="quiz"),
    path("quiz/<int:pk>/reveal/", quiz_views.quiz_reveal, name="quiz-reveal"),
    path("quiz/<int:pk>/grade/", quiz_views.quiz_grade, name="quiz-grade"),
    path("quiz/<int:pk>/undo/", quiz_views.quiz_undo, name="quiz-undo"),
    path("quiz/<int:pk>/answer/", quiz_views.quiz_answer, name="quiz-answer"),
    path("quiz/<int:pk>/finish/", quiz_views.quiz_finish, name="quiz-finish"),
    path("bookmarks/", study_views.bookmark_list, name="bookmarks"),
    path("bookmarks/<int:question_id>/", study_views.bookmark_toggle, name="bookmark-toggle"),
    path("notes/", study_views.note_list, name="notes"),
    path("notes/<int:question_id>/", study_views.note_save, name="note-save"),
    path("notes/<int:question_id>/delete/", study_views.note_delete, name="note-delete"),
    path("mistakes/", study_views.mistake_list, name="mistakes"),
    path("mistakes/<int:question_id>/clear/", study_views.mistake_clear, name="mistake-clear"),
    # Study sets: building, sharing, copying, studying, export and import
    path("sets/", set_pages.set_list, name="set-list"),
    path("sets/new/", set_pages.set_create, name="set-create"),
    path("sets/import/", set_export_import.set_import, name="set-import"),
    path("sets/add-from-search/", set_filling.set_add_from_search, name="set-add-from-search"),
    path("sets/question/", set_filling.set_question, name="set-question"),
    path("sets/<int:pk>/", set_pages.set_detail, name="set"),
    path("sets/<int:pk>/edit/", set_pages.set_edit, name="set-edit"),
    path("sets/<int:pk>/delete/", set_pages.set_delete, name="set-delete"),
    path("sets/<int:pk>/add/", set_filling.set_add, name="set-add"),
    path("sets/<int:pk>/add/section/", set_filling.set_add_section, name="set-add-section"),
    path("sets/<int:pk>/add/bookmarks/", set_filling.set_add_bookmarks, name="set-add-bookmarks"),
    path("sets/<int:pk>/items/<int:item_pk>/move/", set_items.set_item_move,
         name="set-item-move"),
    path("sets/<int:pk>/items/<int:item_pk>/remove/", set_items.set_item_remove,
         name="set-item-remove"),
    path("sets/<int:pk>/items/<int:item_pk>/note/", set_items.set_item_note,
         name="set-item-note"),
    path("sets/<int:pk>/share/", set_pages.set_share, name="set-share"),
    path("sets/<int:pk>/copy/", set_copy_study.set_copy, name="set-copy"),
    path("sets/<int:pk>/study/", set_copy_study.set_study, name="set-study"),
    path("sets/<int:pk>/export/<str:fmt>/", set_export_import.set_export, name="set-export"),
    path("s/<str:token>/", set_copy_study.shared_set, name="set-shared"),
    path("s/<str:token>/study/", set_copy_study.shared_set_study, name="set-shared-study"),
    path("s/<str:token>/copy/", set_copy_study.shared_set_copy, name="set-shared-copy"),
    path("bank/<slug:slug>/export/<str:fmt>/", set_export_import.bank_export, name="bank-export"),
]
