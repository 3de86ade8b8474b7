// Each test runs several real builds; on a 2-core machine parallel builds only fight each other.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
