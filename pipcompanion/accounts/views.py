"""Views for signing in and out, invitations, password links and personal settings."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, format_time, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from ..auth import (
    AGREEMENT_KEY,
    LAST_SEEN_KEY,
    SECOND_STEP_KEY,
    SIGN_IN_KEY,
    begin_half_sign_in,
    current_sign_in,
    half_sign_in_next_url,
    half_signed_in_person,
    second_step_url,
    waiting_for_agreement,
)
from ..extensions import db, limiter
from ..forms import ConfirmForm, apply_service_error
from ..errors import render_error
from ..i18n import CHOSEN_LANGUAGE_KEY, chosen_language
from ..limits import LINK_TOKEN_MAX
from ..models import User
from ..pages.navigation import home_url, safe_next_url
from ..permissions import FamilyAction, families_for, may_be_erased, public, signed_in
from ..services import ServiceError, WrongCodeError, WrongPasswordError
from ..services.accounts import (
    PasswordSetByLink,
    authenticate,
    change_password,
    last_password_set_by_link,
    normalize_email,
    open_password_link,
    password_reset_to_tell,
    record_failed_sign_in,
    record_sign_in,
    set_preferences,
    use_password_link,
)
from ..services.erasure import delete_own_account, what_erasure_removes
from ..services.export import confirm_own_export, describe_export, export_file_name, person_export, zip_download
from ..services.families import (
    accept_invitation,
    open_invitation,
    open_invitation_by_code,
    open_invitation_by_token,
)
from ..services.privacy import agree, agreement_needed, current_notice, latest_record, shown, withdraw
from ..services.settings import offered_languages, service_settings
from ..services.sign_ins import device_words, end_every_sign_in, end_sign_in, sign_ins_of, start_sign_in
from ..services.two_factor import (
    check_may_turn_off,
    check_second_step,
    grouped,
    new_secret,
    qr_code_image,
    recovery_codes_left,
    setup_address,
    turn_off,
    turn_on,
)
from .forms import (
    AgreeForm,
    ChangePasswordForm,
    ChoosePasswordForm,
    DeleteAccountForm,
    ExportForm,
    InvitationCodeForm,
    JoinForm,
    LoginForm,
    PreferencesForm,
    SecondStepForm,
    TurnOffTwoFactorForm,
    TurnOnTwoFactorForm,
    TurnOnTwoFactorInSettingsForm,
    offer_languages,
    shown_version,
)

bp = Blueprint("accounts", __name__)
# A kept device in the reader's words ("Chrome Mobile on Android"): Settings, and the export's index.
bp.add_app_template_global(device_words, "device_words")

PENDING_INVITATION_KEY = "pending_invitation"
# The authenticator secret being set up ({"user": id, "secret": base32}), until a code confirms it.
NEW_SECRET_KEY = "new_two_factor_secret"


def _login_account_key() -> str:
    return "login-account:" + normalize_email(request.form.get("email", ""))[:254]


def _failed(response: Response) -> bool:
    """Only failed sign-ins count towards the throttle (a success redirects)."""
    return response.status_code != 302


def _second_step_account_key() -> str:
    """Codes are throttled per person (named by the half sign-in's signed session), like passwords."""
    value = session.get(SECOND_STEP_KEY)
    return f"second-step:{value.get('user') if isinstance(value, dict) else None}"


def _login_per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _login_per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _token_per_address() -> str:
    return current_app.config["TOKEN_LIMIT_PER_ADDRESS"]


def _current_password_key() -> str:
    """The Settings forms that ask for the current password share one count per person."""
    return f"current-password:{current_user.get_id()}"


def _wrong_current_password(_response: Response) -> bool:
    """Only a wrong current password counts (not a weak new password, or a mistyped code)."""
    return bool(g.get("wrong_current_password"))


def _refuse(form: FlaskForm, error: ServiceError) -> None:
    """Show a refusal on the form; a wrong current password (or two-step code) also counts towards
    the throttle."""
    apply_service_error(form, error)
    if isinstance(error, WrongPasswordError | WrongCodeError):
        g.wrong_current_password = True


# Guessing a signed-in person's password in Settings (changing it, turning two-step sign-in on or
# off, deleting the account, with its code) is throttled like guessing it at sign-in: LOGIN_LIMIT_PER_ACCOUNT wrong passwords, then a wait.
_current_password_throttle = limiter.shared_limit(
    _login_per_account, "current-password", key_func=_current_password_key, methods=["POST"],
    deduct_when=_wrong_current_password,
)


def start_session(user: User) -> None:
    """Sign in with a brand-new session (no value of the old one survives) and a sign-in of its own."""
    end_sign_in(session.get(SIGN_IN_KEY))  # whoever was signed in on this browser before
    clear_session_but_language()
    session.permanent = True
    session[SIGN_IN_KEY] = start_sign_in(user, request.headers.get("User-Agent"))
    new_form_token()
    record_sign_in(user)
    login_user(user)
    # The staff idle clock starts now: otherwise a first idle spell after sign-in would go unnoticed.
    session[LAST_SEEN_KEY] = int(time.time())
    if agreement_needed(user):
        # The privacy notice comes before anything else at this sign-in (auth.ask_for_agreement_first).
        session[AGREEMENT_KEY] = True
    reset = password_reset_to_tell(user)
    if reset is not None:
        flash(_password_reset_notice(user, reset), "info")


def _password_reset_notice(user: User, reset: PasswordSetByLink) -> str:
    """Told once, at the first sign-in after someone else's link set the person's password."""
    when = {"date": format_date(reset.at, "d MMMM y"), "time": format_time(reset.at, "HH:mm"), "name": reset.made_by}
    if user.is_staff:
        return _("Your password was changed on %(date)s at %(time)s, with a link from %(name)s. If you did not "
                 "ask for this, please tell your service lead straight away. You can also sign out everywhere in "
                 "Settings.", **when)
    return _("Your password was changed on %(date)s at %(time)s, with a link from %(name)s. If you did not ask "
             "for this, please tell your therapist or the service straight away. You can also sign out everywhere "
             "in Settings.", **when)


def new_form_token() -> None:
    """Put the new session's CSRF token in it now, with the answer that sets the session.

    Otherwise the next page and the requests the browser makes beside it (the service worker's
    shell, sent with the same new cookie) would each make a token of their own, and whichever cookie
    arrived last would leave the page's form with a token its session no longer holds: "This form
    had expired" on the very next step (seen in CI on the two-step sign-in's code page).
    """
    g.pop(current_app.config["WTF_CSRF_FIELD_NAME"], None)  # the old session's token, cached by this request's form
    generate_csrf()


def start_half_session(user: User, next_url: str | None) -> None:
    """The password was right and a second step follows: a brand-new session that signs nobody in."""
    end_sign_in(session.get(SIGN_IN_KEY))  # whoever was signed in on this browser before
    clear_session_but_language()
    begin_half_sign_in(user, next_url)
    new_form_token()


def end_session() -> None:
    """Sign this browser out, on the server too: a copy of its cookie gets nothing afterwards."""
    end_sign_in(session.get(SIGN_IN_KEY))
    logout_user()
    clear_session_but_language()


def clear_session_but_language() -> None:
    """A brand-new session, in the language chosen on the sign-in or invitation page: the choice is
    no secret, and a person who chose Polski should not be signed in or out into English."""
    language = session.get(CHOSEN_LANGUAGE_KEY)
    session.clear()
    if isinstance(language, str):
        session[CHOSEN_LANGUAGE_KEY] = language


@bp.route("/language", methods=["POST"])
@public
def choose_language() -> Response | tuple[str, int]:
    """Show the pages in another of the languages on offer, for this browser (anyone: the switcher
    on the sign-in and invitation pages; signed-in people keep theirs in Settings)."""
    language = request.form.get("language", "")
    if language not in offered_languages():
        return render_error(400, _("That language is not on offer"),
                            _("Please choose one of the languages on offer."))
    session[CHOSEN_LANGUAGE_KEY] = language
    return redirect(safe_next_url(request.form.get("next")) or url_for("accounts.login"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_per_account, key_func=_login_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_per_address, methods=["POST"], deduct_when=_failed)
def login() -> Response | tuple[str, int]:
    """Sign in with email and password (anyone)."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = safe_next_url(request.args.get("next"))
            if user.has_two_factor or user.must_set_up_two_factor:
                start_half_session(user, next_url)
                return redirect(second_step_url(user))
            start_session(user)
            return redirect(next_url or home_url(user))
        record_failed_sign_in(form.email.data)
        # One message for a wrong email, a wrong password and a closed account.
        form.form_errors.append(_("That email and password did not match an account. Please try again."))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form), status


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(_login_per_account, key_func=_second_step_account_key, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_per_address, methods=["POST"], deduct_when=_failed)
def login_code() -> Response | tuple[str, int]:
    """Sign in, second step: the code from the authenticator app, or a recovery code (a person
    whose password was right a moment ago)."""
    person = half_signed_in_person()
    if person is None or not person.has_two_factor:
        return redirect(second_step_url(person) if person and person.must_set_up_two_factor
                        else url_for("accounts.login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        try:
            result = check_second_step(person, form.code.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            next_url = half_sign_in_next_url()
            start_session(person)
            if result.by_recovery_code:
                flash(_recovery_code_used_message(person, result.recovery_codes_left or 0), "info")
            return redirect(next_url or home_url(person))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/login_code.html", form=form), status


def _recovery_code_used_message(person: User, left: int) -> str:
    if left:
        return ngettext("You signed in with a recovery code, so it will not work again. "
                        "You have %(num)d recovery code left.",
                        "You signed in with a recovery code, so it will not work again. "
                        "You have %(num)d recovery codes left.", left)
    if person.is_staff:
        return _("You signed in with your last recovery code. Please ask your service lead to reset your "
                 "two-step sign-in, so you can set it up again with new codes.")
    return _("You signed in with your last recovery code. To get new codes, turn two-step sign-in off "
             "and on again in Settings.")


@bp.route("/login/two-factor", methods=["GET", "POST"])
@public
def login_two_factor_setup() -> Response | tuple[str, int]:
    """Sign in, second step for therapists and admins with no second factor yet: set it up before
    anything else (a person whose password was right a moment ago)."""
    person = half_signed_in_person()
    if person is None or not person.must_set_up_two_factor:
        return redirect(second_step_url(person) if person else url_for("accounts.login"))
    return _set_up_two_factor(person, signing_in=True)


@bp.route("/settings/two-factor", methods=["GET", "POST"])
@signed_in
@_current_password_throttle
def two_factor_setup() -> Response | tuple[str, int]:
    """Turn on two-step sign-in (any signed-in person without it: carers and viewers choose to)."""
    if current_user.has_two_factor:
        flash(_("Two-step sign-in is already on."), "info")
        return redirect(url_for("accounts.settings"))
    return _set_up_two_factor(current_user._get_current_object(), signing_in=False)


def _set_up_two_factor(person: User, *, signing_in: bool) -> tuple[str, int]:
    """The QR code and the secret as text; a code from the app turns it on; the recovery codes, once.

    The new secret waits in this browser's session (signed, and shown on the page anyway) until a
    code confirms it, so an abandoned setup leaves nothing in the database.
    """
    waiting = session.get(NEW_SECRET_KEY)
    if not (isinstance(waiting, dict) and waiting.get("user") == person.id and isinstance(waiting.get("secret"), str)):
        waiting = {"user": person.id, "secret": new_secret()}
        session[NEW_SECRET_KEY] = waiting
    secret: str = waiting["secret"]
    # At sign-in the password was checked a moment ago; in Settings it is asked again.
    form = TurnOnTwoFactorForm() if signing_in else TurnOnTwoFactorInSettingsForm()
    if form.validate_on_submit():
        password = form.password.data if isinstance(form, TurnOnTwoFactorInSettingsForm) else None
        try:
            codes = turn_on(person, secret, form.code.data, password=password)
        except ServiceError as error:
            _refuse(form, error)
        else:
            session.pop(NEW_SECRET_KEY, None)
            continue_url = url_for("accounts.settings")
            if signing_in:
                continue_url = half_sign_in_next_url() or home_url(person)
                start_session(person)
            # Shown in this answer only: nothing keeps them but the person.
            return render_template("accounts/recovery_codes.html", codes=codes, continue_url=continue_url), 200
    status = 400 if form.errors or form.form_errors else 200
    address = setup_address(person, secret)
    return render_template("accounts/two_factor_setup.html", form=form, signing_in=signing_in, address=address,
                           qr_code=qr_code_image(address), secret=grouped(secret)), status


@bp.route("/settings/two-factor/off", methods=["GET", "POST"])
@signed_in
@_current_password_throttle
def two_factor_off() -> Response | tuple[str, int]:
    """Turn two-step sign-in off with one's password (carers and viewers; staff always keep it)."""
    person: User = current_user._get_current_object()
    try:
        check_may_turn_off(person)
    except ServiceError as error:
        flash(error.message, "info")
        return redirect(url_for("accounts.settings"))
    form = TurnOffTwoFactorForm()
    if form.validate_on_submit():
        try:
            turn_off(person, form.password.data)
        except ServiceError as error:
            _refuse(form, error)
        else:
            flash(_("Two-step sign-in is off. You will sign in with your password only."), "success")
            return redirect(url_for("accounts.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/two_factor_off.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout() -> Response | str:
    """Sign out (POST); GET shows a button, so a stray link cannot sign anyone out."""
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        end_session()
        flash(_("You have signed out. See you soon."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/logout.html", form=form)


@bp.route("/join", methods=["GET", "POST"])
@public
@limiter.limit(_token_per_address, methods=["POST"], deduct_when=_failed)
def join_with_code() -> Response | tuple[str, int]:
    """Type an invitation code (anyone)."""
    form = InvitationCodeForm()
    if form.validate_on_submit():
        invitation = open_invitation_by_code(form.code.data)
        if invitation is not None:
            session[PENDING_INVITATION_KEY] = invitation.id
            return redirect(url_for("accounts.join_details"))
        form.code.errors = [
            _("We could not find an open invitation with this code. Please check it, or ask for a new one.")
        ]
    status = 400 if form.errors else 200
    return render_template("accounts/join_code.html", form=form), status


@bp.route("/join/<token>")
@public
@limiter.limit(_token_per_address, deduct_when=_failed)
def join_with_link(token: str) -> Response | tuple[str, int]:
    """Open an invitation link (anyone); the secret leaves the address bar at once."""
    invitation = open_invitation_by_token(token) if len(token) <= LINK_TOKEN_MAX else None
    if invitation is None:
        return render_template("accounts/link_expired.html", kind="invitation"), 404
    session[PENDING_INVITATION_KEY] = invitation.id
    return redirect(url_for("accounts.join_details"))


@bp.route("/join/details", methods=["GET", "POST"])
@public
def join_details() -> Response | str | tuple[str, int]:
    """Create an account from an opened invitation (the holder of the invitation)."""
    invitation_id = session.get(PENDING_INVITATION_KEY)
    invitation = open_invitation(invitation_id) if isinstance(invitation_id, int) else None
    if invitation is None:
        session.pop(PENDING_INVITATION_KEY, None)
        return render_template("accounts/link_expired.html", kind="invitation"), 404
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = accept_invitation(
                invitation.id,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                # The language this page is in (the switcher above it): theirs from now on.
                locale=chosen_language(),
                notice_version=shown_version(form.notice_version),
            )
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            start_session(user)
            flash(_("Welcome, %(name)s. You are now part of %(family)s on PIP Companion.",
                    name=user.name, family=invitation.family.display_name), "success")
            return redirect(home_url(user))
    status = 400 if form.errors or form.form_errors else 200
    notice = current_notice()
    form.notice_version.data = str(notice.version)  # the version this page shows, agreed to with the form
    return render_template("accounts/join_details.html", form=form, invitation=invitation, notice=shown(notice)), status


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_token_per_address, deduct_when=lambda response: response.status_code == 404)
def choose_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password through a one-time link (its holder)."""
    link = open_password_link(token) if len(token) <= LINK_TOKEN_MAX else None
    if link is None:
        return render_template("accounts/link_expired.html", kind="password"), 404
    form = ChoosePasswordForm()
    if form.validate_on_submit():
        try:
            use_password_link(token, form.password.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            end_session()
            flash(_("Your password is saved. Please sign in with it."), "success")
            return redirect(url_for("accounts.login"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/choose_password.html", form=form, user=link.user), status


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings() -> Response | str | tuple[str, int]:
    """One's own settings: language, and links to password and viewers (any signed-in person)."""
    form = PreferencesForm()
    offer_languages(form.locale)
    form.offer_time_zones(service_settings().timezone)
    if request.method == "GET":
        form.locale.data = chosen_language()
        form.timezone.data = current_user.timezone or ""
    elif "timezone" not in request.form:
        form.timezone.data = current_user.timezone or ""  # a page from before time zones keeps the person's
    if form.validate_on_submit():
        try:
            set_preferences(current_user, locale=form.locale.data, timezone=form.timezone.data)
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            flash(_("Your language and time zone are saved."), "success")
            return redirect(url_for("accounts.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return _render_settings(form, status)


def _render_settings(form: PreferencesForm, status: int) -> tuple[str, int]:
    viewer_families = list(db.session.scalars(families_for(current_user, FamilyAction.MANAGE_VIEWERS)))
    this_one = current_sign_in()
    return render_template("accounts/settings.html", form=form, viewer_families=viewer_families,
                           sign_ins=sign_ins_of(current_user), this_sign_in_id=this_one.id if this_one else None,
                           password_set_by_link=last_password_set_by_link(current_user),
                           confirm_form=ConfirmForm(),
                           recovery_codes_left=recovery_codes_left(current_user) if current_user.has_two_factor else None,
                           agreement=latest_record(current_user), notice=current_notice(),
                           ), status


@bp.route("/settings/sign-out-everywhere", methods=["POST"])
@signed_in
def sign_out_everywhere() -> Response:
    """Sign out on every phone and browser, this one too (any signed-in person)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    end_every_sign_in(current_user._get_current_object())
    end_session()
    flash(_("You are signed out on every phone and computer."), "success")
    return redirect(url_for("accounts.logout"))


@bp.route("/settings/password", methods=["GET", "POST"])
@signed_in
@_current_password_throttle
def password() -> Response | str | tuple[str, int]:
    """Change one's own password (any signed-in person); other sessions are signed out."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current_password.data, form.password.data)
        except ServiceError as error:
            _refuse(form, error)
        else:
            start_session(current_user._get_current_object())
            flash(_("Your new password is saved."), "success")
            return redirect(url_for("accounts.settings"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/password.html", form=form), status


@bp.route("/settings/export", methods=["GET", "POST"])
@signed_in
@_current_password_throttle
def export() -> Response | tuple[str, int]:
    """What a copy of one's own data holds, and, with one's password, the copy itself: a ZIP,
    streamed, on the audit record (any signed-in person)."""
    person: User = current_user._get_current_object()
    form = ExportForm()
    if form.validate_on_submit():
        try:
            confirm_own_export(person, form.password.data)
        except ServiceError as error:
            _refuse(form, error)
        else:
            return zip_download(person_export(person), export_file_name(_("my data")), person)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/export.html", form=form, description=describe_export(person)), status


@bp.route("/settings/delete-account", methods=["GET", "POST"])
@signed_in
@_current_password_throttle
def delete_account() -> Response | tuple[str, int]:
    """Delete one's own account with everything of one's own, after the password and the two-step code
    (carers and viewers; staff accounts are closed by the service lead). Signs out everywhere."""
    person: User = current_user._get_current_object()
    if not may_be_erased(person):
        flash(_("Therapists' and admins' accounts are closed by the service lead, not from Settings."), "info")
        return redirect(url_for("accounts.settings"))
    form = DeleteAccountForm()
    if not person.has_two_factor:
        del form.code
    if form.validate_on_submit():
        try:
            delete_own_account(person, form.password.data, form.code.data if "code" in form else None)
        except ServiceError as error:
            _refuse(form, error)
        else:
            end_session()
            return redirect(url_for("accounts.account_deleted"))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("accounts/delete_account.html", form=form, removes=what_erasure_removes(person)), status


@bp.route("/account-deleted")
@public
def account_deleted() -> Response | str:
    """Said once an account is deleted (anyone: the person is signed out by then)."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("accounts/account_deleted.html")
@bp.route("/privacy/agree", methods=["GET", "POST"])
@signed_in
def privacy_agree() -> Response | tuple[str, int]:
    """The privacy notice with "I agree": at a sign-in that asks, before anything else (any
    signed-in person; every other page sends them here until they agree or sign out)."""
    person: User = current_user._get_current_object()
    next_url = safe_next_url(request.args.get("next"))
    if request.method == "GET" and waiting_for_agreement() and not agreement_needed(person):
        session.pop(AGREEMENT_KEY, None)  # they agreed meanwhile, on another phone or in another tab
        return redirect(next_url or home_url(person))
    form = AgreeForm()
    if form.validate_on_submit():
        try:
            agree(person, shown_version(form.notice_version))
        except ServiceError as error:
            apply_service_error(form, error)
        else:
            session.pop(AGREEMENT_KEY, None)
            flash(_("Thank you. You have agreed to the privacy notice."), "success")
            return redirect(next_url or home_url(person))
    status = 400 if form.errors or form.form_errors else 200
    notice = current_notice()
    form.notice_version.data = str(notice.version)
    asking = waiting_for_agreement() or agreement_needed(person)
    return render_template("accounts/privacy_agree.html", form=form, notice=shown(notice), asking=asking,
                           agreement=None if asking else latest_record(person)), status


@bp.route("/settings/privacy/withdraw", methods=["GET", "POST"])
@signed_in
def privacy_withdraw() -> Response | tuple[str, int]:
    """Withdraw one's agreement to the privacy notice (any signed-in person who agreed): on record,
    signed out everywhere, asked again at the next sign-in."""
    person: User = current_user._get_current_object()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            withdraw(person)
        except ServiceError as error:
            flash(error.message, "info")
            return redirect(url_for("accounts.settings"))
        end_session()
        flash(_("You have withdrawn your agreement, and you are signed out on every phone and computer. If you "
                "sign in again, we will ask you to agree first."), "success")
        return redirect(url_for("accounts.logout"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/privacy_withdraw.html", form=form, agreement=latest_record(person)), status
