from qms.extensions import db
from qms.users.models import User


def test_make_user_and_sign_in(app, make_user, auth, client):
    user_id = make_user("admin", username="quantri")
    with app.app_context():
        assert db.session.get(User, user_id).username == "quantri"
    response = auth.login("quantri")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
