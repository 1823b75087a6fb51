"""ECShop's sandbox: no HTTP simulator (ECShop is read at the database level) but its
install schema in a real MySQL/MariaDB database, seeded with goods, members and orders the
way the shop writes them (:mod:`.seed`)."""
