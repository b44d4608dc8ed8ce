#!/bin/sh
# Entrypoint of the local `mysql` stand-in image (MariaDB from Debian; scripts/container.py makes
# it because no registry can be reached here). It honours what docker-compose.yml gives the
# official mysql image: MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD and MYSQL_RANDOM_ROOT_PASSWORD
# (root gets no network login either way). A data directory that is already initialised is
# served as it is, so a restart keeps the data.
set -eu
datadir=/var/lib/mysql
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld "$datadir"

if [ ! -d "$datadir/mysql" ]; then
  echo "mysql-standin: initialising $datadir"
  mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db --auth-root-authentication-method=socket >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  tries=0
  until mariadb --socket=/run/mysqld/init.sock -e 'SELECT 1' >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "mysql-standin: server did not start" >&2; exit 1; }
    sleep 1
  done
  mariadb --socket=/run/mysqld/init.sock <<SQL
CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE:?}\`;
CREATE USER '${MYSQL_USER:?}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD:?}';
GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%';
SQL
  kill "$pid"
  wait "$pid" || true
  echo "mysql-standin: database ${MYSQL_DATABASE} and user ${MYSQL_USER} created"
fi

exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 \
  --socket=/run/mysqld/mysqld.sock
