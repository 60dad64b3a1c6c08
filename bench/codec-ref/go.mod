module signalbox/bench/codec-ref

go 1.23.0

require github.com/osrg/gobgp/v3 v3.37.0
