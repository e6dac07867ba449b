from django.urls import path

from qa.views import bank

app_name = "qa"

urlpatterns = [
    path("bank/", bank.bank_list, name="bank-list"),
    path("bank/<slug:slug>/", bank.bank_detail, name="bank"),
    path("q/<path:key>/", bank.question_detail, name="question"),
]
