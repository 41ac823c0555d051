#!/bin/sh
# Set up the compose federation's state once: a province, two counties, the province's helper
# of secure aggregation and four schools, their stores and keys, the public-key exports they
# exchange, enrolments (the helper's from the leaders' signed lists), and synthetic students
# (never real ones) imported into each school. Run by the compose file's `setup` service:
#
#   deploy/compose/bootstrap.sh STATE_DIR
#
# Each aggregator's export names its address as its compose service (county-610102:50051).
# Running it again on a set-up STATE_DIR does nothing.
set -eu

state=${1:?usage: bootstrap.sh STATE_DIR}
period=${GUANAI_SYNTH_PERIOD:-2025-H1}
exports="$state/exports"

if [ -e "$state/.bootstrapped" ]; then
    echo "already set up: $state"
    exit 0
fi
mkdir -p "$exports"

aggregator() {  # region level parent-region|- service-name
    region=$1 level=$2 parent=$3 service=$4
    db="$state/$region/aggregator.db"
    if [ "$parent" = - ]; then
        guanai aggregator --db "$db" init --level "$level" --region "$region"
    else
        guanai aggregator --db "$db" init --level "$level" --region "$region" --parent-region "$parent"
    fi
    guanai aggregator --db "$db" export-keys --address "$service:50051" --out "$exports/$region.json"
}

school() {  # school-id county name reports-to
    id=$1 county=$2 name=$3 parent=$4
    db="$state/$id/node.db"
    guanai synth school --out "$state/$id/import" --school-id "$id" --region "$county" \
        --students 60 --period "$period" --name "$name"
    guanai node --db "$db" init --school-id "$id" --region "$county" --name "$name"
    for kind in roster auto cases records registration aid mentors activities; do
        guanai node --db "$db" import "$kind" "$state/$id/import/$kind.csv"
    done
    guanai node --db "$db" export-key --out "$exports/$id.json"
    guanai aggregator --db "$state/$parent/aggregator.db" enroll --key "$exports/$id.json" \
        --member-id "$id" --kind school
    guanai node --db "$db" parent "$exports/$parent.json"
    guanai node --db "$db" helper "$exports/helper.json"
}

leader() {  # region: the helper knows the leader, the leader the helper
    region=$1
    guanai aggregator --db "$state/helper/aggregator.db" enroll --key "$exports/$region.json" \
        --member-id "$region" --kind aggregator
    guanai aggregator --db "$state/$region/aggregator.db" helper "$exports/helper.json"
}

guanai aggregator --db "$state/helper/aggregator.db" init --role helper --region 610000
guanai aggregator --db "$state/helper/aggregator.db" export-keys --address "helper:50051" \
    --out "$exports/helper.json"
aggregator 610000 province - province
leader 610000
for county in 610102 610103; do
    aggregator "$county" county 610000 "county-$county"
    guanai aggregator --db "$state/$county/aggregator.db" parent "$exports/610000.json"
    guanai aggregator --db "$state/610000/aggregator.db" enroll --key "$exports/$county.json" \
        --member-id "$county" --kind aggregator
    leader "$county"
done
school 2161010001 610102 新城区第一小学 610102
school 3161010002 610102 新城区第二中学 610102
school 2161030004 610103 碑林区第四小学 610103
school 4161000006 610116 长安大学城示范学院 610000
for region in 610000 610102 610103; do  # the leaders' signed enrolments, carried as files
    guanai aggregator --db "$state/$region/aggregator.db" send-enrolment \
        --out "$exports/enrolment-$region.signed"
    guanai aggregator --db "$state/helper/aggregator.db" take-enrolment \
        "$exports/enrolment-$region.signed"
done

touch "$state/.bootstrapped"
echo "set up: $state"
