-- Two databases with one owner each, and nothing shared: Airflow's user owns Airflow's
-- metadata database only, the hub's user the hub store only. Neither is a superuser or may
-- create databases or roles, and neither may connect to the other's database (nor to the
-- maintenance databases). Run once by psql on a new server (deploy/postgres-init.sh) with
-- the names and passwords as psql variables, so no password is written in a file:
--   psql -v airflow_user=... -v airflow_password=... -v airflow_db=...
--        -v synchub_user=... -v synchub_password=... -v synchub_db=... -f postgres-init.sql
\set ON_ERROR_STOP on

CREATE ROLE :"airflow_user" LOGIN PASSWORD :'airflow_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
CREATE ROLE :"synchub_user" LOGIN PASSWORD :'synchub_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;

CREATE DATABASE :"airflow_db" OWNER :"airflow_user";
CREATE DATABASE :"synchub_db" OWNER :"synchub_user";

-- PUBLIC may connect to any new database by default: only each owner may, here
REVOKE ALL ON DATABASE :"airflow_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"synchub_db" FROM PUBLIC;
REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;
