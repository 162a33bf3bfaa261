"""The [client] login of a MySQL option file, read as the mysql client reads it."""

from storage.backends.mysql_options import Login, parse_login, read_login


def test_client_group_only_last_one_wins():
    text = """
# comment
; comment too
!includedir /etc/mysql/conf.d/
[mysqld]
password = server-side
[client]
user=ops
password=first
[mysql]
password = mysql-only
[CLIENT]
password = second
"""
    assert parse_login(text) == Login("ops", "second")


def test_values_quoted_or_cut_at_a_comment():
    assert parse_login("[client]\npassword = 'a b#c'  # note\n").password == "a b#c"
    assert parse_login('[client]\npassword="q\\"uote\\\\d\\s"\n').password == 'q"uote\\d '
    assert parse_login("[client]\npassword = plain # note\n").password == "plain"
    assert parse_login("[client]\npassword\n").password is None           # a bare `password` asks for one
    assert parse_login("[client]\nhost = db\n") == Login()


def test_the_password_is_not_in_the_repr():
    assert "s3cret" not in repr(parse_login("[client]\npassword=s3cret\n"))


def test_a_file_others_may_write_or_none_at_all_gives_nothing(tmp_path):
    path = tmp_path / ".my.cnf"
    assert read_login(path) == Login()
    path.write_text("[client]\npassword=x\n")
    path.chmod(0o600)
    assert read_login(path).password == "x"
    path.chmod(0o646)
    assert read_login(path) == Login()
