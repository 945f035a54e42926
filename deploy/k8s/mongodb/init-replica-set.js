// Run by the job mongo-init (mongosh, connected to mongo-0 as root). Safe to run again: each step
// looks at what is there first.
// 1. Initiate the replica set rs0 with the three members of the StatefulSet (once).
// 2. On the primary, wherever the election put it: create Signum's user, or bring its password and
//    roles up to date (readWrite on the database of each Signum service).
const members = [0, 1, 2].map((i) => ({ _id: i, host: `mongo-${i}.mongo.mongodb.svc:27017` }));
try {
  rs.status();
} catch (e) {
  if (e.codeName !== "NotYetInitialized") throw e;
  rs.initiate({ _id: "rs0", members });
}

const root = `${encodeURIComponent(process.env.ROOT_USERNAME)}:${encodeURIComponent(process.env.ROOT_PASSWORD)}`;
const seeds = members.map((m) => m.host).join(",");
// The driver waits for a primary (up to two minutes) before the first command.
const admin = new Mongo(
  `mongodb://${root}@${seeds}/admin?replicaSet=rs0&authSource=admin&serverSelectionTimeoutMS=120000`,
).getDB("admin");
const roles = ["gateway", "drafting", "routing", "signing", "storage", "metrics"].map((s) => ({
  role: "readWrite",
  db: `signum_${s}`,
}));
const pwd = process.env.SIGNUM_PASSWORD;
if (admin.getUser("signum")) {
  admin.updateUser("signum", { pwd, roles });
} else {
  admin.createUser({ user: "signum", pwd, roles });
}
print("replica set rs0 initiated; user signum ready");
