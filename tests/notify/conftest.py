from tests.mailserver import mailserver  # noqa: F401
from tests.smsgateway import smsgateway  # noqa: F401
