"""The seed's second file: the Mesop chat UI, talking to the API through ``FastAPIProvider``.

gunicorn main_2_mesop:app -b 0.0.0.0:8888
"""

from frontend_mesop import FastAPIProvider
from frontend_mesop.app import create_app

provider = FastAPIProvider(
    fastapi_url="http://localhost:8008",
)

app = create_app(provider)
