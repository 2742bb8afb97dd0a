"""Deleting one's own account on a 360×740 phone: from Home to Settings, the password, the
confirmation, and the old password no longer signing anyone in."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from pipcompanion.models import User

from ..helpers import FamilyInfo, count
from .pages import heading, path_of, sign_in, type_password

PHONE_WIDTH = 360


def fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{path_of(page)} scrolls sideways at {PHONE_WIDTH} px: it is {width} px wide"


def test_a_carer_deletes_her_account_from_settings_and_cannot_sign_in_again(
        app: Flask, phone: Page, rivers: FamilyInfo) -> None:
    mum = rivers.carers[0]
    sign_in(phone, mum)
    assert path_of(phone) == "/home"
    phone.get_by_role("navigation").get_by_role("link", name="Settings", exact=True).click()
    expect(heading(phone, "Settings")).to_be_visible()
    phone.get_by_role("link", name="Delete my account", exact=True).click()
    expect(heading(phone, "Delete my account")).to_be_visible()
    fits_the_phone(phone)
    main = phone.get_by_role("main")
    expect(main).to_contain_text("It cannot be undone.")
    expect(main).to_contain_text("Download a copy of your data first")
    expect(main).to_contain_text("Once your account is deleted, your code points to nobody.")

    # A slip of the finger first: refused, and said so where a screen reader starts.
    phone.get_by_label("Your password", exact=True).fill("not-my-password-at-all")
    phone.get_by_role("button", name="Delete my account", exact=True).click()
    expect(phone.get_by_role("alert")).to_contain_text("That is not your password.")
    assert count(app, User, User.id == mum.id) == 1

    phone.get_by_label("Your password", exact=True).fill(mum.password)
    phone.get_by_role("button", name="Delete my account", exact=True).click()
    expect(heading(phone, "Your account is deleted")).to_be_visible()
    fits_the_phone(phone)
    assert count(app, User, User.id == mum.id) == 0

    phone.goto("/home")
    assert path_of(phone) == "/login"
    type_password(phone, mum)
    expect(phone.get_by_role("alert")).to_contain_text("That email and password did not match an account.")
