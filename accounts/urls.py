from django.urls import path

from accounts import views, views_teams

app_name = "accounts"

urlpatterns = [
    path("settings/", views.settings_view, name="settings"),
    path("settings/my-data.json", views.data_export, name="data-export"),
    path("settings/delete/", views.account_delete, name="delete"),
    # Teams
    path("teams/", views_teams.team_list, name="team-list"),
    path("teams/<int:pk>/", views_teams.team_detail, name="team"),
    path("teams/<int:pk>/dashboard/", views_teams.dashboard, name="team-dashboard"),
    path("teams/<int:pk>/leave/", views_teams.team_leave, name="team-leave"),
    path("teams/<int:pk>/edit/", views_teams.team_edit, name="team-edit"),
    path("teams/<int:pk>/delete/", views_teams.team_delete, name="team-delete"),
    path("teams/<int:pk>/members/<int:membership_pk>/role/", views_teams.member_role,
         name="team-member-role"),
    path("teams/<int:pk>/members/<int:membership_pk>/remove/", views_teams.member_remove,
         name="team-member-remove"),
    path("teams/<int:pk>/invitations/", views_teams.invitation_create,
         name="team-invitation-create"),
    path("teams/<int:pk>/invitations/<int:invitation_pk>/revoke/",
         views_teams.invitation_revoke, name="team-invitation-revoke"),
    path("invite/<str:token>/", views_teams.invite_accept, name="invite-accept"),
]
