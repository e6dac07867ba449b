"""allauth's strings that the site translates itself, named for `makemessages`.

allauth's Chinese catalog speaks with 您 and calls email "Email地址" or "电子邮件"; the rest of
the site says 你 and 邮箱 / 邮箱地址. Django looks a msgid up in the LOCALE_PATHS catalogs
before an app's own, so these msgids, translated in locale/zh_Hans/LC_MESSAGES/django.po,
read in the site's voice. Nothing imports this module: it exists so that
`makemessages --no-obsolete` finds these msgids in the project and keeps them in the catalog.

The English catalog (locale/en) words a few of them again too: allauth says "Sign In" and
"Sign Out" where the site's header says "Log in" and "Log out".

Each msgid must equal allauth's byte for byte; the module was generated from allauth's
catalog (django-allauth 65.22.1). When allauth rewords one, the override silently stops
applying: compare against allauth's catalog after upgrading it.
"""

from django.utils.translation import gettext_noop

# Form labels, placeholders and errors (log in, sign up, addresses, passwords).
FORMS = (
    gettext_noop("Email"),
    gettext_noop("Email address"),
    gettext_noop("Password (again)"),
    gettext_noop("New Password (again)"),
    gettext_noop("You must type the same password each time."),
    gettext_noop("The email address and/or password you specified are not correct."),
    gettext_noop("A user is already registered with this email address."),
    gettext_noop("This email address is already associated with this account."),
    gettext_noop("Please type your current password."),
    gettext_noop("Incorrect password."),
    gettext_noop("The password reset token was invalid."),
    gettext_noop("Be patient, you are sending too many requests."),
    gettext_noop("This account is currently inactive."),
    gettext_noop("Code"),
    gettext_noop("Incorrect code."),
)

# Pages: log in, sign up, log out, addresses, confirmation, password reset, reauthentication.
PAGES = (
    gettext_noop(
        "If you have not created an account yet, then please %(link)ssign up%(end_link)s first.",
    ),
    gettext_noop("Already have an account? Then please %(link)ssign in%(end_link)s."),
    gettext_noop("Sign In"),
    gettext_noop("Sign Up"),
    gettext_noop("Sign Out"),
    gettext_noop("Are you sure you want to sign out?"),
    gettext_noop("Confirm Access"),
    gettext_noop("Please reauthenticate to safeguard your account."),
    gettext_noop("Enter your password:"),
    gettext_noop("Alternative options"),
    gettext_noop("Use your password"),
    gettext_noop("Send me a sign-in code"),
    gettext_noop("Request Code"),
    gettext_noop("Enter Sign-In Code"),
    gettext_noop(
        "We've sent a code to %(recipient)s. The code expires shortly, so please enter it soon.",
    ),
    gettext_noop("Request new code"),
    gettext_noop("Email Addresses"),
    gettext_noop("The following email addresses are associated with your account:"),
    gettext_noop("Primary"),
    gettext_noop("Make Primary"),
    gettext_noop("Re-send Verification"),
    gettext_noop("Add Email Address"),
    gettext_noop("Add Email"),
    gettext_noop("Do you really want to remove the selected email address?"),
    gettext_noop(
        "You currently do not have any email address set up. You should really add an email "
        "address so you can receive notifications, reset your password, etc.",
    ),
    gettext_noop("Confirm Email Address"),
    gettext_noop(
        'Please confirm that <a href="mailto:%(email)s">%(email)s</a> is an email address for '
        "user %(user_display)s.",
    ),
    gettext_noop(
        'This email confirmation link expired or is invalid. Please <a href="%(email_url)s">issue '
        "a new email confirmation request</a>.",
    ),
    gettext_noop("Verify Your Email Address"),
    gettext_noop(
        "Forgotten your password? Enter your email address below, and we'll send you an email "
        "allowing you to reset it.",
    ),
    gettext_noop("Reset My Password"),
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop("Bad Token"),
    gettext_noop(
        "The password reset link was invalid, possibly because it has already been used.  Please "
        'request a <a href="%(passwd_reset_url)s">new password reset</a>.',
    ),
    gettext_noop("Your password is now changed."),
    gettext_noop("Account Inactive"),
    gettext_noop("This account is inactive."),
)

# Flash messages.
MESSAGES = (
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("You have signed out."),
    gettext_noop("Confirmation email sent to %(email)s."),
    gettext_noop("A sign-in code has been sent to %(recipient)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop(
        "Unable to confirm %(email)s because it is already confirmed by a different account.",
    ),
    gettext_noop("Removed email address %(email)s."),
    gettext_noop("Primary email address set."),
    gettext_noop("Your primary email address must be verified."),
    gettext_noop("You cannot remove your primary email address (%(email)s)."),
)

# Emails: greeting and sign-off, subjects, bodies (all plain text).
EMAILS = (
    gettext_noop("Hello from %(site_name)s!"),
    gettext_noop("Thank you for using %(site_name)s!\n%(site_domain)s"),
    gettext_noop("Please Confirm Your Email Address"),
    gettext_noop(
        "You're receiving this email because user %(user_display)s has given your email address "
        "to register an account on %(site_domain)s.",
    ),
    gettext_noop("To confirm this is correct, go to %(activate_url)s"),
    gettext_noop("Sign-In Code"),
    gettext_noop("Your sign-in code is listed below. Please enter it in your open browser window."),
    gettext_noop("Account Already Exists"),
    gettext_noop(
        "You are receiving this email because you or someone else tried to signup for an\n"
        "account using email address:\n"
        "\n"
        "%(email)s\n"
        "\n"
        "However, an account using that email address already exists.  In case you have\n"
        "forgotten about this, please use the password forgotten procedure to recover\n"
        "your account:\n"
        "\n"
        "%(password_reset_url)s",
    ),
    gettext_noop("Password Reset Email"),
    gettext_noop(
        "You're receiving this email because you or someone else has requested a password reset "
        "for your user account.\n"
        "It can be safely ignored if you did not request a password reset. Click the link below "
        "to reset your password.",
    ),
    gettext_noop("Unknown Account"),
    gettext_noop(
        "You are receiving this email because you, or someone else, tried to access an account "
        "with email %(email)s. However, we do not have any record of such an account in our "
        "database.",
    ),
    gettext_noop("This mail can be safely ignored if you did not initiate this action."),
    gettext_noop("If it was you, you can sign up for an account using the link below."),
    gettext_noop(
        "You are receiving this mail because the following change was made to your account:",
    ),
    gettext_noop(
        "If you do not recognize this change then please take proper security precautions "
        "immediately. The change to your account originates from:\n"
        "\n"
        "- IP address: %(ip)s\n"
        "- Browser: %(user_agent)s\n"
        "- Date: %(timestamp)s",
    ),
    gettext_noop("Password Changed"),
    gettext_noop("Your password has been changed."),
    gettext_noop("Your password has been reset."),
    gettext_noop("Password Set"),
    gettext_noop("Your password has been set."),
    gettext_noop("Email Changed"),
    gettext_noop("Your email has been changed from %(from_email)s to %(to_email)s."),
    gettext_noop("Email Removed"),
    gettext_noop("Email address %(deleted_email)s has been removed from your account."),
)

# The admin's allauth section, seen by staff.
ADMIN = (
    gettext_noop("Accounts"),
    gettext_noop("email addresses"),
    gettext_noop("primary"),
    gettext_noop("email confirmation"),
    gettext_noop("email confirmations"),
    gettext_noop("Mark selected email addresses as verified"),
    gettext_noop("Failed to mark {email} as verified."),
)
