from __future__ import annotations

from django import forms

from accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "desired_retention", "daily_new_limit", "credit_in_corrections"]
        widgets = {
            "desired_retention": forms.NumberInput(attrs={"step": "0.01", "min": "0.7",
                                                          "max": "0.99"}),
            "daily_new_limit": forms.NumberInput(attrs={"min": "0", "max": "500"}),
        }
