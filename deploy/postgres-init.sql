-- The hub store lives beside Airflow's metadata database on the same server.
CREATE DATABASE synchub OWNER airflow;
