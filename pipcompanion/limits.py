"""How long each thing people type or send may be: the forms, the services, the API document and
the model columns all read these, so each number is written once. Where a column holds the
value, its comment names it; a change there needs a migration.
"""

# People
EMAIL_MAX = 254  # users.email; the longest address SMTP carries (RFC 5321)
PERSON_NAME_MAX = 80  # users.name
PASSWORD_MIN = 10
PASSWORD_MAX = 200  # only against absurd bodies: argon2 takes any length
DEVICE_NAME_MAX = 80  # sign_ins.device ("Chrome Mobile on Android")
TOTP_SECRET_MAX = 64  # users.totp_secret (ours are 32 base32 characters: 160 bits)
TWO_FACTOR_CODE_MAX = 20  # as typed: 6 digits, or a recovery code, with any spaces and dashes

# Families
FAMILY_NAME_MAX = 80  # families.display_name
BABY_NAME_MAX = 40  # babies.name
RELATION_MAX = 40  # memberships.relation, invitations.relation ("Mum", "Grandad")
INVITATION_CODE_MAX = 20  # as typed: 8 letters and numbers, with any spaces and dashes
LINK_TOKEN_MAX = 100  # a one-time link's token in an address (ours are 43 characters)

# Moments and what gathers around them
MOMENT_TEXT_MAX = 2000
KIND_NAME_MAX = 40  # moment_kinds.custom_name
REFLECTION_MAX = 1000
FOCUS_MAX = 300  # focuses.text
CHECK_IN_QUESTION_MAX = 150  # check_in_questions.custom_text

# Photos on moments (services/photos.py): how many, how large a request, how many pixels a photo
# may decode to (a decompression bomb is refused by its header, before a pixel is decoded), and
# the sizes we keep (the longest side, in pixels).
PHOTOS_PER_MOMENT_MAX = 3
PHOTO_REQUEST_BYTES_MAX = 15 * 1024 * 1024  # MAX_CONTENT_LENGTH: three phone photos and the words
PHOTO_PIXELS_MAX = 40_000_000  # a 48- or 50-megapixel camera's full-size mode is past it
PHOTO_SIDE = 1600
THUMBNAIL_SIDE = 480
PHOTO_DESCRIPTION_MAX = 300  # moment_photos.description
# The photos a memory book carries inside it, at most (each about 300 KB): a book of more is made
# in two.
BOOK_PHOTOS_MAX = 150

# Memory books: the longest period one book covers, and the most moments it holds (a bigger book
# would be slow to make and to print; the family makes two instead).
BOOK_DAYS_MAX = 731  # two years, a leap day included
BOOK_MOMENTS_MAX = 1000

# The service
SERVICE_NAME_MAX = 80  # service_settings.service_name
TEAM_NAME_MAX = 80  # service_settings.team_name
PHONE_MAX = 30  # service_settings.team_phone
TEAM_HOURS_MAX = 120  # service_settings.team_hours
CRISIS_CONTACTS_MAX = 2000
# How often a carer's home may offer a check-in, in days (service_settings.check_in_every_days); 0: never.
CHECK_IN_EVERY_DAYS_CHOICES = (0, 7, 14, 21, 28)
# How long the service keeps a closed case, in years (the service decides; 25 covers a baby's
# records until their 25th birthday, as NHS guidance keeps children's records).
RETENTION_YEARS_CHOICES = (8, 10, 15, 25)
RETENTION_YEARS_DEFAULT = 25
